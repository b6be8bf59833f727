"""The content tree's texts rendered on the registry's pages (`core.markup`, as beta.gouv.fr renders them), the
edit forms' Markdown preview, and, on the real sample, no product, incubator or member page showing Markdown
syntax or escaped HTML tags where those texts are shown."""

import datetime
import re
from collections import Counter
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from incubateur.core.models import JournalEntry
from incubateur.registry.models import Incubator, Member, Product
from tests.factories import UserFactory
from tests.registry.factories import IncubatorFactory, MemberFactory, MissionFactory, ProductFactory, TeamFactory
from tests.utils import SAMPLE

ESCAPED_TAG = re.compile(r"&lt;/?(?:p|br|span|div|a|b|i|em|strong|abbr|h[1-6]|ul|ol|li|table|img)\b", re.IGNORECASE)
MARKDOWN_LINE = re.compile(r"^(?:#{1,6}\s|[-*]\s)")
BLOCK_END = re.compile(r"<br>|</(?:p|li|h[1-6]|td|th|tr|div|pre|blockquote|dt|dd)>|<(?:ul|ol|table)\b[^>]*>")


# What the sample's authors wrote wrong: a Markdown renderer (kramdown on beta.gouv.fr too) shows these characters.
# Each entry: the page, how many lines show it, and the source's mistake (checked below, so the list cannot go stale).
AUTHORS_OWN_MARKS = {
    "a-just": (2, "\n**\n#### Phase de pérennisation\n**\n"),  # bold around a heading
    "archeolog-ia": (19, "| **Utilisable** | - Présence du plugin"),  # lists inside table cells
    "carnet.de.bord": (1, "**C’est donc d’avantage"),  # a bold never closed
    "ecopass": (1, "## ## Vous souhaitez"),  # a heading marked twice
    "parcours.de.saisine": (1, "\\*\\*\\*\\*\\*qui permet"),  # asterisks escaped by an editor
    "projets": (1, "remplacé par l'équipe en charge du produit **"),  # a space before the closing marks
    "referentiels-carbone-creation-artistique": (2, "**- des bilans carbone"),  # bold opened on each line
}


@pytest.fixture(scope="module")
def sample_import(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_betagouv", str(SAMPLE), stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def sample(sample_import, db) -> None:
    return None


def area(html: str, labelledby: str) -> str:
    """The HTML of the page's <section aria-labelledby=…> (rendered content holds no <section>)."""
    match = re.search(rf'<section[^>]*aria-labelledby="{labelledby}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {labelledby}"
    return match.group(1)


def team_areas(html: str) -> list[str]:
    """Each team's <section> of an incubator's page (its name and mission, its members)."""
    return re.findall(r'<section[^>]*aria-labelledby="equipe-[^"]*"[^>]*>(.*?)</section>', html, re.S)


def lead(html: str) -> str:
    match = re.search(r'<p class="fr-text--lead">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def shown_lines(fragment: str) -> list[str]:
    """The text a reader sees, one line per block (paragraph, list item, heading, cell)."""
    text = re.sub(r"<[^>]+>", "", BLOCK_END.sub("\n", fragment))
    return [line.strip() for line in unescape(text).splitlines() if line.strip()]


def problems(fragment: str) -> list[str]:
    found = [f"escaped tag {match.group(0)!r}" for match in ESCAPED_TAG.finditer(fragment)]
    if "&lt;!--" in fragment or "<!--" in fragment:
        found.append("an HTML comment")
    for line in shown_lines(fragment):
        if "**" in line or "](" in line or MARKDOWN_LINE.match(line):
            found.append(f"Markdown in {line[:80]!r}")
    return found


def check(client, pages: list[tuple[str, str, list[str]]]) -> list[str]:
    """`pages`: (name, url, areas to look at: section ids, or "lead"). Every problem found, by page."""
    report = []
    for name, url, areas in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for where in areas:
            fragment = lead(html) if where == "lead" else area(html, where)
            report += [f"{name} ({where}): {problem}" for problem in problems(fragment)]
    return report


def test_the_sample_has_the_texts_this_checks(sample):
    """The checks below look at real Markdown, HTML and comments (not at plain texts only)."""
    descriptions = list(Product.objects.values_list("description", flat=True))
    assert sum("**" in text for text in descriptions) > 50
    assert sum("<!--" in text for text in descriptions) >= 2
    assert sum("|" in text and "---" in text for text in descriptions) >= 1
    assert sum("<span" in text for text in Incubator.objects.values_list("short_description", flat=True)) >= 5
    assert Member.objects.exclude(bio="").count() > 300


def product_pages() -> list[tuple[str, str, list[str]]]:
    return [
        (ghid, reverse("registry:product_detail", args=[ghid]), ["description"])
        for ghid in Product.objects.exclude(description="").values_list("ghid", flat=True)
    ]


def test_product_descriptions_show_no_escaped_tag_nor_comment(client, sample):
    pages = product_pages()
    assert len(pages) > 150
    assert [line for line in check(client, pages) if "Markdown in" not in line] == []


@pytest.mark.shared_sample
def test_product_descriptions_show_markdown_only_where_their_authors_wrote_it_wrong(client, sample):
    report = check(client, product_pages())
    for ghid, (_, mistake) in AUTHORS_OWN_MARKS.items():
        assert mistake in Product.objects.get(ghid=ghid).description, ghid
    assert Counter(line.split(" ", 1)[0] for line in report) == {
        ghid: count for ghid, (count, _) in AUTHORS_OWN_MARKS.items()
    }, "\n".join(report)


def test_incubator_presentations_and_team_missions_are_rendered(client, sample):
    pages = [
        (incubator.ghid, reverse("registry:incubator_detail", args=[incubator.ghid]), ["lead", "presentation"])
        for incubator in Incubator.objects.exclude(description="")
    ]
    assert len(pages) > 20
    report = check(client, pages)
    # Team missions (some hold links written in HTML) are in the "Équipes" section.
    for ghid in Incubator.objects.filter(teams__isnull=False).distinct().values_list("ghid", flat=True):
        html = client.get(reverse("registry:incubator_detail", args=[ghid])).content.decode()
        areas = team_areas(html)
        assert areas, ghid
        report += [f"{ghid} (équipes): {problem}" for fragment in areas for problem in problems(fragment)]
    assert report == []


def test_member_bios_are_rendered(client, sample):
    pages = [
        (username, reverse("registry:member_detail", args=[username]), ["presentation"])
        for username in Member.objects.exclude(bio="").values_list("username", flat=True)
    ]
    assert check(client, pages) == []


# --- Our own fiches -------------------------------------------------------------------------------------------

DESCRIPTION = (
    "<!--StartFragment-->\n\n## Contexte\n\nUn **service** pour [louer](https://www.dossierfacile.fr) :\n\n"
    "- simple\n- rapide\n\n<script>alert(1)</script>\n\n| Année | Dossiers |\n| --- | --- |\n| 2024 | 100 |"
)


def test_a_product_description_is_rendered_under_its_heading(client):
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile")
    product.description = DESCRIPTION
    product.save()
    section = area(client.get("/produits/dossier-facile/").content.decode(), "description")
    assert section.split("</h2>", 1)[1].strip() == (
        "<h3>Contexte</h3>\n"
        '<p>Un <strong>service</strong> pour <a href="https://www.dossierfacile.fr" rel="noopener noreferrer">'
        "louer</a> :</p>\n<ul>\n<li>simple</li>\n<li>rapide</li>\n</ul>\n\n"
        '<div class="fr-table fr-table--no-caption"><table tabindex="0">\n'
        '<thead>\n<tr>\n<th scope="col">Année</th>\n<th scope="col">Dossiers</th>\n</tr>\n</thead>\n'
        "<tbody>\n<tr>\n<td>2024</td>\n<td>100</td>\n</tr>\n</tbody>\n</table></div>"
    )


def test_an_incubator_s_presentation_and_teams_and_a_member_s_bio_are_rendered(client):
    incubator = IncubatorFactory(ghid="kube", title="Kube")
    incubator.short_description = 'Au sein du <span class="fr-text--bold">ministère des Armées</span>.'
    incubator.description = "Lancé en **2019**."
    incubator.save()
    team = TeamFactory(ghid="animation", name="Animation", incubator=incubator)
    team.mission = "Nos thèmes :\n\n- Travail et Emploi\n- Santé"
    team.save()
    html = client.get("/incubateurs/kube/").content.decode()
    assert lead(html) == 'Au sein du <span class="fr-text--bold">ministère des Armées</span>.'
    assert "<p>Lancé en <strong>2019</strong>.</p>" in area(html, "presentation")
    assert "<p>Nos thèmes :</p>\n<ul>\n<li>Travail et Emploi</li>\n<li>Santé</li>\n</ul>" in team_areas(html)[0]

    MemberFactory(username="alice.durand", bio="# Parcours\n\nDéveloppeuse *depuis 2015*.")
    section = area(client.get("/membres/alice.durand/").content.decode(), "presentation")
    assert section.split("</h2>", 1)[1].strip() == "<h3>Parcours</h3>\n<p>Développeuse <em>depuis 2015</em>.</p>"


# --- The edit forms' preview ----------------------------------------------------------------------------------

PRODUCT_POST = {
    "pitch": "Constituer un dossier de location",
    "description": "## Pourquoi\r\n\r\nUn **dossier** complet.",
    "contact": "",
    "link": "pas une adresse",
    "repository": "",
    "stats_url": "",
    "budget_url": "",
    "impact_url": "",
    "thematiques": "Logement, Social",
    "usertypes": "",
    "techno": "",
}


@pytest.fixture
def editor(client):
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile", pitch="Louer plus simplement")
    user = UserFactory()
    MissionFactory(member=MemberFactory(user=user), products=[product], start=datetime.date(2024, 1, 1), end=None)
    client.force_login(user)
    return product


def test_the_product_form_says_markdown_and_offers_a_preview(client, editor):
    html = client.get("/produits/dossier-facile/modifier/").content.decode()
    assert "Mise en forme Markdown : **gras**, [lien](https://…), listes" in html
    assert '<button type="submit" class="fr-btn">Enregistrer</button>' in html  # still the first: Enter saves
    assert html.index(">Enregistrer<") < html.index('name="apercu"')
    assert 'data-testid="apercu"' not in html


def test_the_preview_renders_the_text_below_its_field_and_saves_nothing(client, editor):
    journal, description = JournalEntry.objects.count(), editor.description
    response = client.post("/produits/dossier-facile/modifier/", {**PRODUCT_POST, "apercu": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    preview = area(html, "apercu")
    assert preview == (
        '\n        <h2 id="apercu" class="fr-callout__title">Aperçu : description</h2>\n        '
        "<h3>Pourquoi</h3>\n<p>Un <strong>dossier</strong> complet.</p>\n      "
    )
    assert html.index('name="description"') < html.index('data-testid="apercu"') < html.index('name="contact"')
    # The form keeps what was typed, without judging it yet (an invalid address is only refused on saving).
    assert "Un **dossier** complet.</textarea>" in html
    assert 'name="thematiques" value="Logement, Social"' in html
    assert 'value="pas une adresse"' in html
    assert "fr-input-group--error" not in html
    assert "Aperçu affiché sous le champ : rien n&#x27;est encore enregistré." in html
    editor.refresh_from_db()
    assert editor.pitch == "Louer plus simplement"
    assert editor.description == description
    assert JournalEntry.objects.count() == journal


def test_an_empty_text_previews_as_empty(client, editor):
    response = client.post("/produits/dossier-facile/modifier/", {**PRODUCT_POST, "description": "", "apercu": "1"})
    assert "<p>Le texte est vide.</p>" in area(response.content.decode(), "apercu")


def test_saving_after_a_preview_saves(client, editor):
    client.post("/produits/dossier-facile/modifier/", {**PRODUCT_POST, "apercu": "1"})
    response = client.post("/produits/dossier-facile/modifier/", {**PRODUCT_POST, "link": ""})
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.description == "## Pourquoi\n\nUn **dossier** complet."


def test_the_member_form_previews_the_bio(client):
    user = UserFactory()
    MemberFactory(user=user, username="alice.durand", role="Développeuse", bio="Avant.")
    client.force_login(user)
    html = client.get("/membres/alice.durand/modifier/").content.decode()
    assert "Mise en forme Markdown" in html and 'name="apercu"' in html
    data = {"role": "", "bio": "- Python\r\n- Accessibilité", "link": "", "github": "", "competences": ""}
    response = client.post("/membres/alice.durand/modifier/", {**data, "apercu": "1"})
    assert response.status_code == 200
    assert "<ul>\n<li>Python</li>\n<li>Accessibilité</li>\n</ul>" in area(response.content.decode(), "apercu")
    assert Member.objects.get(username="alice.durand").bio == "Avant."
