"""The past FAST editions, derived from the beta.gouv.fr tree by the registry's import (REGISTRY_IMPORT_HOOKS): one
historical call per `_fasts/*.md` with its title, the laureates from each product's `fast: {promotion, montant}`;
idempotent; a malformed `_fasts` file refuses the whole import, naming the file and the field."""

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import transaction

from incubateur.programmes import perms
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.registry.models import Product
from tests.utils import SAMPLE


def run(path) -> str:
    out = StringIO()
    call_command("import_betagouv", str(path), stdout=out)
    return out.getvalue()


def front_matter(path: Path) -> dict:
    """A file's front matter read independently of the importer (PyYAML), as an oracle."""
    return yaml.safe_load(path.read_text(encoding="utf-8")[3:].split("\n---", 1)[0]) or {}


def edition_files() -> dict[int, str]:
    """{edition number: title} of the sample's `_fasts/*.md` (the number is in every title: « FAST 2 - … »)."""
    editions = {}
    for path in sorted((SAMPLE / "_fasts").glob("*.md")):
        title = front_matter(path)["title"]
        editions[int(re.match(r"FAST (\d+)\b", title).group(1))] = title
    return editions


def sample_laureates() -> dict[str, tuple[int, int]]:
    """{product ghid: (promotion, amount)} of the sample's products that were FAST laureates."""
    laureates = {}
    for path in sorted((SAMPLE / "_startups").glob("*.md")):
        fast = front_matter(path).get("fast")
        if fast:
            laureates[path.stem] = (fast["promotion"], fast["montant"])
    return laureates


def snapshot() -> tuple[list, list]:
    calls = list(
        Call.objects.order_by("pk").values_list("pk", "programme_id", "number", "title", "description", "historical")
    )
    applications = list(
        Application.objects.order_by("pk").values_list(
            "pk", "call_id", "product_id", "status", "amount_granted", "updated_at"
        )
    )
    return calls, applications


# --- The sample (imported once for these tests, rolled back after them) -----------------------------------------


@pytest.fixture(scope="class")
def sample_import(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        output = run(SAMPLE)
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def sample(sample_import, db) -> str:
    return sample_import


@pytest.mark.shared_sample  # the team's sample's own figures
class TestTheSample:
    """Tests on the sample as imported once (the import takes seconds)."""

    def test_the_fast_programme_and_one_historical_call_per_edition(self, sample):
        programme = Programme.objects.get(slug="fast")
        assert programme.name.startswith("FAST")
        calls = {call.number: call for call in Call.objects.filter(programme=programme)}
        assert all(call.historical for call in calls.values())
        files = edition_files()
        assert len(files) == len(list((SAMPLE / "_fasts").glob("*.md"))) == 16
        for number, title in files.items():
            assert calls[number].title == title
        assert calls[17].title == "FAST 17 - Octobre 2025"
        assert calls[2].title == "FAST 2 - Novembre 2019"  # an early edition: no `promotion` in its front matter
        # A promotion named by products but described by no `.md` file (`_fasts/15_fast` is a folder): a call too.
        promotions = {promotion for promotion, _ in sample_laureates().values()}
        assert 15 in promotions - set(files)
        assert calls[15].title == "FAST 15"
        assert set(calls) == set(files) | promotions
        assert "éditions FAST : 17 (17 créées)" in sample

    def test_the_laureates_come_from_the_products_fast_promotion_and_amount(self, sample):
        expected = sample_laureates()
        assert len(expected) == 13
        per_promotion = Counter(promotion for promotion, _ in expected.values())
        granted = Application.objects.filter(call__programme__slug="fast").select_related("call", "product")
        assert Counter(a.call.number for a in granted) == per_promotion
        assert {a.product.ghid: (a.call.number, a.amount_granted) for a in granted} == expected
        assert {a.status for a in granted} == {ApplicationStatus.LAUREATE}
        assert f"lauréats : {len(expected)} créés, 0 modifié, 0 retiré" in sample

    def test_the_results_of_a_past_edition_list_its_laureates(self, sample):
        call = Call.objects.get(programme__slug="fast", number=13)
        assert call.historical and perms.can_see_results(AnonymousUser(), call)
        assert call.state_label() == "résultats publiés"
        laureates = Application.objects.filter(call=call).granted().select_related("product").order_by("product__name")
        expected = sorted(
            (Product.objects.get(ghid=ghid).name, amount)
            for ghid, (promotion, amount) in sample_laureates().items()
            if promotion == 13
        )
        assert [(a.product.name, a.amount_granted) for a in laureates] == expected
        assert len(expected) == 5

    def test_each_edition_keeps_its_text_and_its_results_are_published(self, sample):
        for path in sorted((SAMPLE / "_fasts").glob("*.md")):
            text = path.read_text(encoding="utf-8")
            body = text[3:].split("\n---\n", 1)[1]  # after the front matter, as written
            number = int(re.match(r"FAST (\d+)\b", front_matter(path)["title"]).group(1))
            call = Call.objects.get(programme__slug="fast", number=number)
            assert call.description == body, path.name
            assert call.results_published and call.results_published_at is None  # published on beta.gouv.fr
        assert Call.objects.get(programme__slug="fast", number=15).description == ""  # no file: no text

    def test_every_edition_page_shows_its_text_and_never_no_laureate(self, sample, client):
        """On the real editions: each page renders the edition's text (no Markdown syntax, no HTML comment, one
        <h1>) with the laureates the product files name; none says it had no laureate."""
        for call in Call.objects.filter(programme__slug="fast", historical=True):
            for url in (f"/programmes/appels/{call.pk}/", f"/programmes/appels/{call.pk}/resultats/"):
                response = client.get(url)
                assert response.status_code == 200, url
                html = response.content.decode()
                main = html[html.index("<main") : html.index("</main>")]
                text = " ".join(re.sub(r"<[^>]+>", " ", main).split())
                assert main.count("<h1") == 1, url
                assert "<!--" not in main and "&lt;h1" not in main and "](" not in text, url
                assert not re.search(r"aucun lauréat|pas de lauréat|(?<!\d)0 lauréat", text, re.IGNORECASE), url
        fast_12 = Call.objects.get(programme__slug="fast", number=12)
        page = client.get(f"/programmes/appels/{fast_12.pk}/").content.decode()
        assert "10 lauréats" in page  # what its text says, though the sample's product files name fewer

    def test_importing_again_changes_nothing(self, sample):
        before = snapshot()
        output = run(SAMPLE)
        assert snapshot() == before
        assert "éditions FAST : 17 (0 créée) ; lauréats : 0 créé, 0 modifié, 0 retiré" in output


# --- A small tree of our own ------------------------------------------------------------------------------------

TREE = {
    "_organisations/min-exemple.md": "---\nname: Ministère de l'Exemple\ndomaine_ministeriel: justice\n---\n",
    "_incubators/fabrique-exemple.md": "---\ntitle: Fabrique de l'Exemple\nowner: /organisations/min-exemple\n---\n",
    "_startups/mon-service.md": (
        "---\ntitle: Mon service\nmission: Simplifier une démarche\nincubator: fabrique-exemple\n"
        "fast:\n  promotion: 3\n  montant: 150000\nphases:\n  - name: construction\n    start: 2023-07-01\n---\n"
    ),
    "_fasts/03-fast.md": "---\ntitle: FAST 3 - Avril 2020\nsidebar: sidebar-fast.html\npromotion: 3\n---\n# FAST 3\n",
    "_fasts/04-fast.md": "---\ntitle: FAST 4 - Juin 2020\nsidebar: sidebar-fast.html\npromotion: 4\n---\n# FAST 4\n",
}


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "content"
    for rel, text in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def refused(root: Path) -> str:
    with pytest.raises(CommandError) as caught:
        run(root)
    assert not Product.objects.exists(), "the registry's part is refused too"
    assert not Programme.objects.exists() and not Call.objects.exists() and not Application.objects.exists()
    return str(caught.value)


def test_a_small_tree_gives_its_editions_and_laureates(tree):
    run(tree)
    assert list(Call.objects.order_by("number").values_list("number", "title", "historical")) == [
        (3, "FAST 3 - Avril 2020", True),
        (4, "FAST 4 - Juin 2020", True),
    ]
    [laureate] = Application.objects.all()
    assert (laureate.call.number, laureate.product.ghid, laureate.amount_granted) == (3, "mon-service", 150_000)
    assert Call.objects.get(number=3).description == "# FAST 3\n"


def test_a_changed_edition_text_is_updated_and_a_nul_in_it_refused(tree):
    run(tree)
    (tree / "_fasts/04-fast.md").write_text(
        "---\ntitle: FAST 4 - Juin 2020\npromotion: 4\n---\nLes lauréats : **Mon service**.\n", encoding="utf-8"
    )
    run(tree)
    assert Call.objects.get(number=4).description == "Les lauréats : **Mon service**.\n"
    (tree / "_fasts/04-fast.md").write_text("---\ntitle: FAST 4\npromotion: 4\n---\nA\x00B\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(tree)
    assert re.search(
        r"^_fasts/04-fast\.md:5: caractère interdit dans le texte \(caractère nul\)$", str(caught.value), re.M
    )


def test_a_malformed_edition_refuses_the_whole_import_naming_the_file_and_field(tree):
    (tree / "_fasts/04-fast.md").write_text("---\ntitle: FAST 4\npromotion: quatre\n---\n", encoding="utf-8")
    message = refused(tree)
    assert message.startswith("Rien n'a été importé : 1 erreur.")
    assert "_fasts/04-fast.md: promotion: un numéro d'édition entier est attendu, pas « quatre »" in message


def test_an_unreadable_front_matter_and_a_duplicate_edition_are_refused_together(tree):
    (tree / "_fasts/04-fast.md").write_text("---\ntitle: [FAST 4\n---\n", encoding="utf-8")
    (tree / "_fasts/05-fast.md").write_text("---\ntitle: Encore FAST 3\npromotion: 3\n---\n", encoding="utf-8")
    message = refused(tree)
    assert message.startswith("Rien n'a été importé : 2 erreurs.")
    assert re.search(r"^_fasts/04-fast\.md(:\d+)?: .+$", message, flags=re.M)
    assert "_fasts/05-fast.md: promotion: l'édition 3 est déjà décrite par _fasts/03-fast.md" in message


def test_a_product_whose_fast_changes_is_updated_or_withdrawn(tree):
    run(tree)
    startup = tree / "_startups/mon-service.md"
    startup.write_text(startup.read_text(encoding="utf-8").replace("150000", "180000"), encoding="utf-8")
    assert "lauréats : 0 créé, 1 modifié, 0 retiré" in run(tree)
    assert Application.objects.get().amount_granted == 180_000
    startup.write_text(
        startup.read_text(encoding="utf-8").replace("fast:\n  promotion: 3\n  montant: 180000\n", ""),
        encoding="utf-8",
    )
    assert "lauréats : 0 créé, 0 modifié, 1 retiré" in run(tree)
    assert not Application.objects.exists()
    assert Call.objects.filter(historical=True).count() == 2, "the editions stay"


def test_a_folder_named_like_an_edition_is_skipped_as_the_registry_skips_one(tree):
    (tree / "_fasts/05-fast.md").mkdir()
    (tree / "_startups/dossier.md").mkdir()
    run(tree)
    assert list(Call.objects.order_by("number").values_list("number", flat=True)) == [3, 4]


ALIASES = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))  # 10**9 texts


@pytest.mark.parametrize(
    "front,expected",
    [
        ('title: "FAST\\0 4"\n', "title: caractère interdit (caractère nul ou code Unicode isolé)"),
        ("title: [FAST, 4]\n", "title: un texte est attendu (une liste trouvé)"),
        ("title: true\n", "title: un texte est attendu (true trouvé)"),
        (f"title: {'t' * 201}\n", "title: 200 caractères au plus (201 donnés)"),
        # Refused as a list, never expanded into a text (that took minutes).
        (f"l0: &l0 FAST\n{ALIASES}title: *l9\n", "title: un texte est attendu (une liste trouvé)"),
    ],
    ids=["nul", "list", "bool", "too-long", "aliases"],
)
def test_a_title_that_cannot_be_a_calls_title_is_refused_naming_file_and_field(tree, front, expected):
    (tree / "_fasts/04-fast.md").write_text(f"---\npromotion: 4\n{front}---\n", encoding="utf-8")
    message = refused(tree)
    assert message.startswith("Rien n'a été importé : 1 erreur.")
    assert re.search(rf"^_fasts/04-fast\.md:\d+: {re.escape(expected)}$", message, flags=re.M), message


def test_the_export_writes_the_editions_back_and_importing_it_changes_nothing(tree, tmp_path):
    (tree / "_startups/mon-service.md").write_text(
        TREE["_startups/mon-service.md"].replace("promotion: 3", "promotion: 5"), encoding="utf-8"
    )
    run(tree)
    assert list(Call.objects.order_by("number").values_list("number", "title")) == [
        (3, "FAST 3 - Avril 2020"),
        (4, "FAST 4 - Juin 2020"),
        (5, "FAST 5"),  # no file: its laureate gives it
    ]
    out = StringIO()
    call_command("export_betagouv", str(tmp_path / "export"), stdout=out)
    assert "éditions FAST : 2 fichiers écrits, 0 inchangé" in out.getvalue()
    fasts = tmp_path / "export" / "_fasts"
    assert sorted(p.name for p in fasts.iterdir()) == ["03_fast.md", "04_fast.md"]  # FAST 5 needs no file
    assert (fasts / "03_fast.md").read_text(encoding="utf-8") == (
        "---\ntitle: FAST 3 - Avril 2020\nsidebar: sidebar-fast.html\npromotion: 3\n---\n# FAST 3\n"
    )  # its text, as imported
    before = snapshot()
    assert "éditions FAST : 3 (0 créée)" in run(tmp_path / "export")
    assert snapshot() == before


def test_the_export_into_a_checkout_keeps_the_edition_files_rewriting_only_a_changed_title(tree):
    run(tree)
    Call.objects.filter(number=4).update(title="FAST 4 - Juillet 2020")
    before = (tree / "_fasts/03-fast.md").read_bytes()
    out = StringIO()
    call_command("export_betagouv", str(tree), stdout=out)
    assert "éditions FAST : 1 fichier écrit, 1 inchangé" in out.getvalue()
    assert sorted(p.name for p in (tree / "_fasts").iterdir()) == ["03-fast.md", "04-fast.md"]
    assert (tree / "_fasts/03-fast.md").read_bytes() == before
    assert (tree / "_fasts/04-fast.md").read_text(encoding="utf-8") == (
        "---\ntitle: FAST 4 - Juillet 2020\nsidebar: sidebar-fast.html\npromotion: 4\n---\n# FAST 4\n"
    )
