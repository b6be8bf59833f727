from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    """`manage.py seed_synthetic`: a realistic synthetic registry and desk, for benchmarks and query-count tests.
    No models, no migrations, no URLs."""

    name = "incubateur.synthetic"
    label = "synthetic"
    verbose_name = "données synthétiques"
