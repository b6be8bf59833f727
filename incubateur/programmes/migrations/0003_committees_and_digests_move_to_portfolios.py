"""Committee and DigestSent now belong to the portfolios app (portfolios/migrations/0001_initial.py). Only Django's
state changes: the tables stay where they are, with their rows, and keep their names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0002_call_ordering_nulls_last"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Committee"),
                migrations.DeleteModel(name="DigestSent"),
            ],
            database_operations=[],
        ),
    ]
