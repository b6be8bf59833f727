from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "incubateur.accounts"
    label = "accounts"
    verbose_name = "comptes"
