from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "incubateur.recruitment"
    label = "recruitment"
    verbose_name = "recrutement"

    def ready(self):
        # The public posts' files (cache.py): every save and delete of a post bumps their stamp.
        # Imported here: models exist only once the app registry is ready (Django's place for signal wiring, as in
        # registry/apps.py; ARCHITECTURE.md).
        from incubateur.recruitment import cache, models

        cache.stamp.connect(models.JobPost)
        cache.publish_files()
