from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "incubateur.organisation"
    label = "organisation"
    verbose_name = "organisation de l'Incubateur"
