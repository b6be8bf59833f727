from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "incubateur.accounts"
    label = "accounts"
    verbose_name = "comptes"

    def ready(self):
        # A login link's e-mail is stored with the link masked; the worker writes it in at send time. Models can be
        # imported only once the app registry is ready: Django's documented place for this wiring.
        from incubateur.accounts import services
        from incubateur.accounts.services import welcome
        from incubateur.core import notifications

        notifications.register_renderer("accounts.login_link", services.login_link_render)
        notifications.register_renderer(welcome.WELCOME_LINK_KIND, welcome.welcome_link_render)
