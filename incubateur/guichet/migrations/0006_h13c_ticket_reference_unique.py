"""#13: `Ticket.reference`, filled by 0005, becomes unique and required."""

from django.db import migrations, models

import incubateur.guichet.converters


class Migration(migrations.Migration):
    dependencies = [
        ("guichet", "0005_h13c_ticket_reference"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="reference",
            field=models.CharField(
                default=incubateur.guichet.converters.new_reference,
                editable=False,
                help_text="Tirée au hasard à la création (ex. G-7K3Q-M2XR) : c'est elle qui nomme la demande, partout.",
                max_length=11,
                unique=True,
                verbose_name="référence",
            ),
        ),
    ]
