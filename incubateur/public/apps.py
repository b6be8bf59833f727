from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "incubateur.public"
    label = "public"
    verbose_name = "pages publiques"
