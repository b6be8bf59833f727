"""The desk's keyset pages (#19): an index per work queue, read in its order (assignee or pole, open status, due)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guichet", "0008_merge_mail_intake_attachments"),
        ("organisation", "0003_french_labels"),
        ("registry", "0005_lifecycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="guichet_tic_assigne_795ce8_idx",
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["assignee", "status", "first_response_due", "id"], name="guichet_ticket_assignee_q"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["pole", "status", "first_response_due", "id"], name="guichet_ticket_pole_q"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["status", "first_response_at", "first_response_due", "id"], name="guichet_ticket_overdue_q"
            ),
        ),
    ]
