from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "incubateur.community"
    label = "community"
    verbose_name = "vie de la communauté"
