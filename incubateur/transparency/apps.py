from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "incubateur.transparency"
    label = "transparency"
    verbose_name = "transparence"

    def ready(self):
        # The journal's feed (cache.py): every save and delete of a row bumps its stamp.
        # Imported here: models exist only once the app registry is ready (Django's place for signal wiring, as in
        # registry/apps.py; ARCHITECTURE.md).
        from incubateur.core.models import JournalEntry
        from incubateur.transparency import cache, models

        cache.stamp.connect(JournalEntry)
        cache.snapshots.connect(models.Snapshot)  # the pages cached for anonymous visitors (cache.py)
        cache.publish_files()
