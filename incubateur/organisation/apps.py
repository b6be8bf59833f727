from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "incubateur.organisation"
    label = "organisation"
    verbose_name = "organisation de l'Incubateur"

    def ready(self):
        # Cache invalidation is the one use of signals here: every write to these tables, whoever makes it
        # (services, admin, loader, a shell), must make the cached public views stale.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from incubateur.organisation import cache, models

        for model in (
            models.Department,
            models.Pole,
            models.Position,
            models.Portfolio,
            models.ContactChannel,
            models.Reason,
            models.Commitment,
            get_user_model(),  # names and e-mails are shown
        ):
            post_save.connect(cache.bump, sender=model, dispatch_uid=f"organisation-cache-{model._meta.label}")
            post_delete.connect(cache.bump, sender=model, dispatch_uid=f"organisation-cache-del-{model._meta.label}")
