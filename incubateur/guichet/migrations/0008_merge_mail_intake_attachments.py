# The two #18 migrations, made side by side (mail intake, attachments), joined.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("guichet", "0007_attachments"), ("guichet", "0007_mail_intake")]
    operations = []
