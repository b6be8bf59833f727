from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "incubateur.recruitment"
    label = "recruitment"
    verbose_name = "recrutement"
