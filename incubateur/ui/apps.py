from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "incubateur.ui"
    label = "ui"
    verbose_name = "interface"
