from django.apps import AppConfig
from django.db.models.signals import post_save


class SyntheticConfig(AppConfig):
    """`manage.py seed_synthetic`: a realistic synthetic registry and desk, for benchmarks and query-count tests;
    `bench_fixtures` and `bench_import` for `make bench`; `load_demo`: the demo registry of a first `make run`
    (`demo.py`), removed by the first real import. No models, no migrations, no URLs. Installed by the dev, test and
    bench settings only, never in production; nothing imports it."""

    name = "incubateur.synthetic"
    label = "synthetic"
    verbose_name = "données synthétiques"

    def ready(self):
        # Models can be imported only once the app registry is ready: Django's documented place for signal wiring.
        # The first real import removes the demo registry (demo.py).
        from incubateur.core.models import JournalEntry
        from incubateur.synthetic import demo

        post_save.connect(demo.on_journal_entry, sender=JournalEntry, dispatch_uid="synthetic-demo-removed-on-import")
