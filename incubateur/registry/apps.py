from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "incubateur.registry"
    label = "registry"
    verbose_name = "registre de la communauté"

    def ready(self):
        # Models can be imported only once the app registry is ready: Django's documented place for signal wiring.
        from incubateur.registry import cache, models

        cache.stamp.connect(
            models.Organisation,
            models.Incubator,
            models.Member,
            models.Mission,
            models.MissionProduct,
            models.Product,
            models.ProductSponsor,
            models.ProductIncubator,
            models.Phase,
            models.Event,
            models.Team,
        )
        cache.publish_files()
