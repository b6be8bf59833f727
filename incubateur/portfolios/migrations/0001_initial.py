"""Committee and DigestSent, moved from the programmes app: only Django's state changes. The tables created by
programmes/migrations/0001_initial.py stay, with their rows and names (`db_table`).

The content types of the two models are renamed (app label programmes → portfolios) rather than created anew, so
that what refers to a committee by its content type (the journal's rows, the admin's log, permissions) keeps
pointing at it. On a new database there are none yet: nothing to rename then."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("committee", "digestsent")


def _relabel(apps, schema_editor, source: str, target: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if content_types.filter(app_label=target, model=model).exists():
            continue  # never two rows for one model
        content_types.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "programmes", "portfolios")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "portfolios", "programmes")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("programmes", "0003_committees_and_digests_move_to_portfolios"),
        ("registry", "0002_domaine_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Committee",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("date", models.DateField(verbose_name="date")),
                        ("attendees", models.TextField(blank=True, verbose_name="participants")),
                        (
                            "deck_url",
                            models.URLField(blank=True, max_length=500, verbose_name="support de présentation"),
                        ),
                        (
                            "decision",
                            models.CharField(
                                choices=[
                                    ("poursuite", "Poursuite (6 mois)"),
                                    ("provisoire", "Poursuite provisoire (1 à 2 mois)"),
                                    ("arret", "Arrêt"),
                                ],
                                max_length=20,
                                verbose_name="décision",
                            ),
                        ),
                        (
                            "budget_requested",
                            models.PositiveBigIntegerField(blank=True, null=True, verbose_name="budget demandé (€)"),
                        ),
                        (
                            "budget_granted",
                            models.PositiveBigIntegerField(blank=True, null=True, verbose_name="budget accordé (€)"),
                        ),
                        ("comment", models.TextField(blank=True, verbose_name="commentaire")),
                        (
                            "phase",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("investigation", "investigation"),
                                    ("construction", "construction"),
                                    ("acceleration", "accélération"),
                                    ("consolidation", "consolidation"),
                                    ("transfere", "transférée"),
                                    ("opere", "opérée"),
                                    ("abandon", "arrêtée"),
                                    ("abandon-investigation", "investigation non concluante"),
                                ],
                                help_text="Si le comité en décide.",
                                max_length=40,
                                verbose_name="nouvelle phase",
                            ),
                        ),
                        ("next_due", models.DateField(blank=True, null=True, verbose_name="prochain comité avant le")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.product",
                                verbose_name="produit",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "comité d'investissement",
                        "verbose_name_plural": "comités d'investissement",
                        "db_table": "programmes_committee",
                        "ordering": ["-date", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="DigestSent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("week", models.CharField(max_length=8, verbose_name="semaine ISO")),
                        ("items", models.PositiveIntegerField(default=0, verbose_name="éléments en retard")),
                        ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "synthèse hebdomadaire envoyée",
                        "verbose_name_plural": "synthèses hebdomadaires envoyées",
                        "db_table": "programmes_digestsent",
                        "ordering": ["-sent_at"],
                        "constraints": [models.UniqueConstraint(fields=("user", "week"), name="one_digest_per_week")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
