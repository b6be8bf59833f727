from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "incubateur.organisation"
    label = "organisation"
    verbose_name = "organisation de l'Incubateur"

    def ready(self):
        # Cache invalidation is the one use of signals here: every write to these tables, whoever makes it
        # (services, admin, loader, a shell), must make the cached public views stale. Models can be imported
        # only once the app registry is ready: Django's documented place for signal wiring.
        from django.contrib.auth import get_user_model

        from incubateur.organisation import cache, models

        cache.stamp.connect(
            models.Department,
            models.Pole,
            models.Position,
            models.Portfolio,
            models.ContactChannel,
            models.Reason,
            models.Commitment,
            get_user_model(),  # names and e-mails are shown
        )
