from django.apps import AppConfig

from incubateur.registry import cache as registry_cache


def _bump_registry(sender, **kwargs) -> None:
    registry_cache.bump()


class OrganisationConfig(AppConfig):
    name = "incubateur.organisation"
    label = "organisation"
    verbose_name = "organisation de l'Incubateur"

    def ready(self):
        # Cache invalidation is the one use of signals here: every write to these tables, whoever makes it
        # (services, admin, loader, a shell), must make the cached public views stale. Models can be imported
        # only once the app registry is ready: Django's documented place for signal wiring.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

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
        # The registry's product and incubator pages show « Votre interlocuteur à l'Incubateur » (who handles
        # what) and are cached under the registry's stamp alone (the registry cannot read this app): a change of
        # who handles what makes them stale too. Rare writes. (A name changed on an account alone shows there
        # when the page cache entry expires, within the hour.)
        for model in (models.Department, models.Pole, models.Position, models.Portfolio):
            uid = f"organisation-bumps-registry-{model._meta.label}"
            post_save.connect(_bump_registry, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(_bump_registry, sender=model, dispatch_uid=f"{uid}-delete")
