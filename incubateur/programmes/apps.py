from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "incubateur.programmes"
    label = "programmes"
    verbose_name = "programmes"

    def ready(self):
        # The public pages' stamp (cache.py): every save and delete of a programme or a call bumps it. Imported here:
        # models exist only once the app registry is ready (Django's place for signal wiring, as in registry/apps.py).
        from incubateur.programmes import cache, models

        cache.stamp.connect(models.Programme, models.Call)
