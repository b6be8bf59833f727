"""The desk's work-queue indexes (#19) end with `confidential` and `requester`: `for_user`'s test of a row is read
in the index, and the tabs' bounded counts no longer visit the table."""

from django.db import migrations, models

INDEXES = {
    "guichet_ticket_assignee_q": ["assignee", "status", "first_response_due", "id", "confidential", "requester"],
    "guichet_ticket_pole_q": ["pole", "status", "first_response_due", "id", "confidential", "requester"],
    "guichet_ticket_overdue_q": [
        "status",
        "first_response_at",
        "first_response_due",
        "id",
        "confidential",
        "requester",
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("guichet", "0009_desk_keyset_indexes"),
    ]

    operations = [
        operation
        for name, fields in INDEXES.items()
        for operation in (
            migrations.RemoveIndex(model_name="ticket", name=name),
            migrations.AddIndex(model_name="ticket", index=models.Index(fields=fields, name=name)),
        )
    ]
