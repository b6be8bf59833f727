"""#13: a request is named by a random reference (`Ticket.reference`), not by its sequential id. Existing requests
get one here (each drawn until unused); 0006 makes the column unique and required (a migration of its own: on
PostgreSQL, altering a table in the transaction that updated its rows fails on pending trigger events)."""

from django.db import migrations, models

import incubateur.guichet.converters


def backfill(apps, schema_editor):
    Ticket = apps.get_model("guichet", "Ticket")
    taken = set(Ticket.objects.exclude(reference=None).values_list("reference", flat=True))
    for ticket in Ticket.objects.filter(reference=None).only("pk").iterator():
        reference = incubateur.guichet.converters.new_reference()
        while reference in taken:
            reference = incubateur.guichet.converters.new_reference()
        taken.add(reference)
        Ticket.objects.filter(pk=ticket.pk).update(reference=reference)


class Migration(migrations.Migration):
    dependencies = [
        ("guichet", "0004_h5_french_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="reference",
            field=models.CharField(editable=False, max_length=11, null=True, verbose_name="référence"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
