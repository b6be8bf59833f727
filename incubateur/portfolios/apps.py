from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "incubateur.portfolios"
    label = "portfolios"
    verbose_name = "portefeuilles et comités d'investissement"
