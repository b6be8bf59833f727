from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "incubateur.programmes"
    label = "programmes"
    verbose_name = "programmes"
