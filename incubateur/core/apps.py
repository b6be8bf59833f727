from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "incubateur.core"
    label = "core"
    verbose_name = "socle"
