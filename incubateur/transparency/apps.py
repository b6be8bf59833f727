from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "incubateur.transparency"
    label = "transparency"
    verbose_name = "transparence"
