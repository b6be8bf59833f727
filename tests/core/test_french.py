"""French as it is written: « 1er mai 2026 », « d’Antoine », « 0 lauréat », one date format (`core.text` and the
`{% load french %}` filters)."""

import datetime
import re
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as django_date
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

import incubateur
from incubateur.core import text

PARIS = ZoneInfo("Europe/Paris")
MONTH = "(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)"
DATE = re.compile(rf"^(1er|[2-9]|[12][0-9]|3[01]) {MONTH} [0-9]{{1,4}}$")


def render(source: str, **context) -> str:
    return Template("{% load french %}" + source).render(Context(context))


# --- Dates ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, expected",
    [
        (datetime.date(2026, 5, 1), "1er mai 2026"),
        (datetime.date(2026, 5, 2), "2 mai 2026"),
        (datetime.date(2026, 8, 11), "11 août 2026"),
        (datetime.date(2025, 12, 31), "31 décembre 2025"),
        (datetime.date(2026, 2, 1), "1er février 2026"),
    ],
)
def test_a_date_is_written_with_1er_on_the_first(day, expected):
    assert text.date_fr(day) == expected
    assert render("{{ d|date_fr }}", d=day) == expected


def test_a_moment_is_written_in_paris_time():
    # 30 April 2026, 22:05 UTC is already 1 May in Paris (UTC+2 in summer).
    moment = datetime.datetime(2026, 4, 30, 22, 5, tzinfo=datetime.UTC)
    assert text.datetime_fr(moment) == "1er mai 2026 à 00:05"
    assert text.date_fr(moment) == "1er mai 2026"
    assert text.time_fr(moment) == "00:05"
    assert render("{{ m|datetime_fr }}", m=moment) == "1er mai 2026 à 00:05"
    winter = datetime.datetime(2026, 1, 1, 13, 5, tzinfo=datetime.UTC)
    assert text.datetime_fr(winter) == "1er janvier 2026 à 14:05"


def test_a_month_and_empty_values():
    assert text.month_fr(datetime.date(2026, 5, 1)) == "mai 2026"
    assert render("{{ d|month_fr }}", d=datetime.date(2026, 8, 31)) == "août 2026"
    for function in (text.date_fr, text.datetime_fr, text.month_fr, text.time_fr):
        assert function(None) == ""
    # An empty value lets `|default` take over.
    assert render('{{ d|date_fr|default:"—" }}', d=None) == "—"
    # A date given where a moment is expected is still written as a date.
    assert text.datetime_fr(datetime.date(2026, 5, 1)) == "1er mai 2026"


@given(st.dates(min_value=datetime.date(1900, 1, 1)))
def test_every_date_reads_back_and_matches_djangos_french_calendar_but_for_1er(day):
    written = text.date_fr(day)
    assert DATE.match(written), written
    assert not written.startswith("1 ")
    # Django's own French month names (an independent writer) agree, the first of the month aside.
    expected = django_date(day, "j F Y")
    if day.day == 1:
        expected = "1er" + expected[1:]
    assert written == expected
    # And it reads back to the same day.
    number, month, year = written.split(" ")
    months = MONTH.strip("()").split("|")
    assert datetime.date(int(year), months.index(month) + 1, int(number.removesuffix("er"))) == day


# Hypothesis takes naive bounds and adds the time zone itself.
@given(st.datetimes(min_value=datetime.datetime(1990, 1, 1), timezones=st.just(datetime.UTC)))  # noqa: DTZ001
def test_every_moment_is_written_as_paris_wall_clock_time(moment):
    written = text.datetime_fr(moment)
    local = moment.astimezone(PARIS)
    assert written == f"{text.date_fr(local.date())} à {local:%H:%M}"
    assert re.fullmatch(rf"(1er|[0-9]+) {MONTH} [0-9]+ à [0-2][0-9]:[0-5][0-9]", written)


# --- Elision --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Antoine", "d’Antoine"),
        ("Élodie", "d’Élodie"),
        ("émilie", "d’émilie"),
        ("Œdipe", "d’Œdipe"),
        ("Ünal", "d’Ünal"),
        ("Hélène", "d’Hélène"),
        ("Hugo Martin", "d’Hugo Martin"),
        ("Henri-Pierre", "d’Henri-Pierre"),
        ("Yves", "d’Yves"),
        ("Paul", "de Paul"),
        ("Hamid", "de Hamid"),  # an aspirated or unknown h keeps « de »
        ("Yasmine", "de Yasmine"),  # y before a vowel is a consonant
        ("Yoann", "de Yoann"),
        ("Wilfried", "de Wilfried"),
        ("3Dmark", "de 3Dmark"),
        ("« Aides »", "de « Aides »"),
    ],
)
def test_de_elides_before_a_vowel_sound(name, expected):
    assert text.de(name) == expected
    assert render("{{ n|de }}", n=name) == expected


def test_de_escapes_what_it_is_given_and_keeps_what_is_safe():
    assert render("{{ n|de }}", n="<b>Anne</b>") == "de &lt;b&gt;Anne&lt;/b&gt;"
    assert render("{{ n|de }}", n=mark_safe("<b>Anne</b>")) == "de <b>Anne</b>"
    assert render("{{ n|de }}", n="Ève & Adam") == "d’Ève &amp; Adam"


VOWEL_LETTERS = "aeiouAEIOUàâäéèêëîïôöùûüÀÂÄÉÈÊËÎÏÔÖÙÛÜœŒæÆ"
CONSONANTS = "bcdfgjklmnpqrstvwxzBCDFGJKLMNPQRSTVWXZçÇ"
rest = st.text(alphabet=st.characters(categories=["L", "Pd"]), max_size=20)


@given(st.sampled_from(VOWEL_LETTERS), rest)
def test_every_name_starting_with_a_vowel_is_elided(first, tail):
    name = first + tail
    assert text.de(name) == f"d’{name}"


@given(st.sampled_from(CONSONANTS), rest)
def test_every_name_starting_with_a_consonant_keeps_de(first, tail):
    name = first + tail
    assert text.de(name) == f"de {name}"


@given(st.text(max_size=30))
def test_de_only_ever_adds_the_preposition(name):
    written = text.de(name)
    assert written in (f"d’{name.strip()}", f"de {name.strip()}")
    if written.startswith("d’"):
        base = unicodedata.normalize("NFKD", name.strip()[:1].lower())[:1]
        assert base in "aeiouyhœæ"


# --- Singular and plural --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, expected",
    [(0, "0 lauréat"), (1, "1 lauréat"), (2, "2 lauréats"), (1234, "1\u202f234 lauréats"), (1.5, "1,5 lauréat")],
)
def test_quantity_is_singular_for_0_and_1(count, expected):
    assert text.quantity(count, "lauréat") == expected
    assert render('{% nombre n "lauréat" %}', n=count) == expected


def test_irregular_plurals_and_suffixes():
    assert text.quantity(3, "journal", "journaux") == "3 journaux"
    assert render('{% nombre n "journal" "journaux" %}', n=1) == "1 journal"
    assert render("produit{{ n|pluriel }}", n=0) == "produit"
    assert render("produit{{ n|pluriel }}", n=2) == "produits"
    assert render('{{ n|pluriel:"a,ont" }}', n=1) == "a"
    assert render('{{ n|pluriel:"a,ont" }}', n=5) == "ont"
    assert render('attend{{ n|pluriel:"ent" }}', n=3) == "attendent"
    # A list counts by its length, as with `pluralize`.
    assert render("erreur{{ errors|pluriel }}", errors=["a"]) == "erreur"
    assert render("erreur{{ errors|pluriel }}", errors=["a", "b"]) == "erreurs"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_only_two_and_more_are_plural(count):
    assert text.plural(count, "lauréat") == ("lauréats" if abs(count) >= 2 else "lauréat")
    assert text.quantity(count, "lauréat").replace("\u202f", "") == f"{count} {text.plural(count, 'lauréat')}"


def test_the_filters_need_no_load():
    # A builtin library of the template engine (settings.TEMPLATES): every template may use them.
    assert Template("{{ d|date_fr }}, {{ n|de }}").render(Context({"d": datetime.date(2026, 5, 1), "n": "Ève"})) == (
        "1er mai 2026, d’Ève"
    )


# --- Headings do not depend on an emoji font -----------------------------------------------------------------------

EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
HIDDEN = re.compile(r'<span aria-hidden="true">.*?</span>', re.S)


def test_no_heading_depends_on_an_emoji_font():
    """An emoji in a heading (typed, or a variable named …emoji) is wrapped in aria-hidden and is never the whole
    heading: without an emoji font, or read aloud, the heading still says what it is."""
    problems, headings = [], 0
    for path in sorted(Path(incubateur.__file__).parent.rglob("templates/**/*.html")):
        for level, content in HEADING.findall(path.read_text()):
            headings += 1
            visible = HIDDEN.sub("", content)
            if EMOJI.search(visible) or re.search(r"{{[^}]*emoji[^}]*}}", visible):
                problems.append(f"{path.name}: <h{level}> {content.strip()[:80]}")
            elif visible != content and not re.sub(r"{%.*?%}|\s", "", visible):
                problems.append(f"{path.name}: <h{level}> only an emoji: {content.strip()[:80]}")
    assert headings > 100  # the templates were read
    assert problems == []
