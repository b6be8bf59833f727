from django.apps import AppConfig, apps
from django.contrib import admin
from django.db import models


class CoreConfig(AppConfig):
    name = "incubateur.core"
    label = "core"
    verbose_name = "socle"

    def ready(self):
        # django-tasks-db names its app in English (a plain string, not translatable); its models' and fields'
        # labels are translated by locale/fr (this app's catalogue) and its admin re-registered in core/admin.py.
        if apps.is_installed("django_tasks_db"):
            apps.get_app_config("django_tasks_database").verbose_name = "Tâches de fond"
        # The admin's forms for URL fields (ours and third parties', e.g. django-dsfr's configuration) assume https
        # for a scheme-less address, as Django 6 will; today Django warns on each such form (RemovedInDjango60Warning)
        # and its transitional setting warns too. django.contrib.admin comes first in INSTALLED_APPS, so every
        # ModelAdmin is registered by now. Our own forms say `assume_scheme="https"` field by field.
        https = {models.URLField: {"assume_scheme": "https"}}
        for model_admin in admin.site._registry.values():
            model_admin.formfield_overrides.setdefault(models.URLField, {}).update(https[models.URLField])
            for inline in model_admin.inlines:  # instantiated per request, from the class
                inline.formfield_overrides = {**inline.formfield_overrides, **https}
