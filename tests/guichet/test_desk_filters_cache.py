"""The desk's filter form, kept rendered in the process (`views.desk.FiltersCache`, #19): what it shows follows the
submitted values, the poles and the errors at once — a renamed pole, another reader's pole, another search term,
a value corrected — and a hit writes the same markup a fresh rendering does; the cache stays bounded."""

import re
from html import unescape

import pytest

from incubateur.guichet.views import desk as views
from incubateur.organisation.models import Pole
from tests.factories import person
from tests.guichet.test_desk import DESK, as_user, field_error

LEAD = "bastien.d.dolomie"  # leads the Pôle Animation et Expertises


@pytest.fixture(autouse=True)
def empty_cache():
    views.FILTERS.entries.clear()
    yield
    views.FILTERS.entries.clear()


def form(response) -> str:
    html = response.content.decode()
    start = html.index('aria-label="Filtrer les demandes"')
    return html[start : html.index("</form>", start)]


def test_a_hit_writes_what_a_fresh_rendering_writes(client, cast):
    as_user(client, cast.other_staff)
    first = form(client.get(DESK, {"vue": "toutes", "q": "abc"}))
    assert len(views.FILTERS.entries) == 1
    assert form(client.get(DESK, {"vue": "toutes", "q": "abc"})) == first
    views.FILTERS.entries.clear()
    assert form(client.get(DESK, {"vue": "toutes", "q": "abc"})) == first


def test_a_renamed_pole_shows_at_once(client, cast):
    as_user(client, person(LEAD))
    assert '<option value="animation" selected>' in form(client.get(DESK, {"vue": "pole"}))
    Pole.objects.filter(slug="animation").update(name="Pôle renommé")
    shown = form(client.get(DESK, {"vue": "pole"}))
    assert '<option value="animation" selected>Pôle renommé</option>' in shown


def test_each_reader_sees_their_own_pole_and_terms(client, cast):
    as_user(client, person(LEAD))
    assert '<option value="animation" selected>' in form(client.get(DESK, {"vue": "pole"}))
    other = person("igor.balise")
    as_user(client, other)
    shown = form(client.get(DESK, {"vue": "pole"}))
    assert '<option value="animation" selected>' not in shown
    as_user(client, cast.other_staff)
    assert 'value="premier"' in form(client.get(DESK, {"vue": "toutes", "q": "premier"}))
    second = form(client.get(DESK, {"vue": "toutes", "q": "second"}))
    assert 'value="second"' in second and "premier" not in second


def test_an_error_goes_when_the_value_is_corrected(client, cast):
    as_user(client, cast.other_staff)
    wrong = client.get(DESK, {"vue": "toutes", "statut": "inconnu"})
    assert "inconnu" in field_error(wrong, "statut")
    right = client.get(DESK, {"vue": "toutes", "statut": ""})
    assert 'id="id_statut-desc-error"' not in right.content.decode()


def test_the_cache_is_bounded(client, cast, monkeypatch):
    monkeypatch.setattr(views.FiltersCache, "MAX", 3)
    as_user(client, cast.other_staff)
    for n in range(6):
        client.get(DESK, {"vue": "toutes", "q": f"terme{n}"})
    assert len(views.FILTERS.entries) == 3
    assert [dict(key[1])["q"] for key in views.FILTERS.entries] == ["terme3", "terme4", "terme5"]
    assert unescape(re.search(r'name="q" value="([^"]*)"', form(client.get(DESK, {"q": "x<y"}))).group(1)) == "x<y"
