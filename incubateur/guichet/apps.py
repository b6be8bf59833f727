from django.apps import AppConfig


class GuichetConfig(AppConfig):
    name = "incubateur.guichet"
    label = "guichet"
    verbose_name = "guichet"
