from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    """`manage.py seed_synthetic`: a realistic synthetic registry and desk, for benchmarks and query-count tests;
    `bench_fixtures` and `bench_import` for `make bench`. No models, no migrations, no URLs. Installed by the dev,
    test and bench settings only, never in production; nothing imports it."""

    name = "incubateur.synthetic"
    label = "synthetic"
    verbose_name = "données synthétiques"
