import datetime
import numbers
import re
import unicodedata

from django.utils import timezone


def fold(text: str) -> str:
    """Lowercase, without accents or extra spaces: the form search compares on both databases.

    `Maël` → `mael`, `Chaïb` → `chaib`, `Écologie` → `ecologie`, `Œuvre` → `oeuvre`.
    """
    text = (text or "").replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().casefold()


def euros(amount: int | None) -> str:
    """12 345 € (a narrow no-break space between thousands, as French typography wants); "—" for None."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


# --- French as it is written --------------------------------------------------------------------------------------
# One format for dates everywhere: « 1er mai 2026 » (the first of the month is « 1er », never « 1 »), « 1er mai 2026 à
# 14:05 » for a moment (Paris time), « mai 2026 » for a month. The template filters of `ui/templatetags/french.py`
# call these, so pages, e-mails, notifications and Mattermost messages write them the same way.

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _local(value: datetime.date | datetime.datetime) -> datetime.date | datetime.datetime:
    """An aware moment in the current time zone (Europe/Paris); a date or a naive moment as it is."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day_fr(day: int) -> str:
    """« 1er », « 2 », … « 31 »: French writes the first of the month as an ordinal."""
    return "1er" if day == 1 else str(day)


def date_fr(value: datetime.date | datetime.datetime | None) -> str:
    """« 1er mai 2026 », « 2 mai 2026 »; a moment is read in Paris time; "" for None."""
    if value is None or value == "":
        return ""
    value = _local(value)
    return f"{day_fr(value.day)} {MONTHS[value.month - 1]} {value.year}"


def time_fr(value: datetime.datetime | datetime.time | None) -> str:
    """« 14:05 » (Paris time for an aware moment); "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    return f"{value.hour:02d}:{value.minute:02d}"


def datetime_fr(value: datetime.datetime | None) -> str:
    """« 1er mai 2026 à 14:05 », Paris time; a bare date gives « 1er mai 2026 »; "" for None."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.datetime):
        return date_fr(value)
    value = _local(value)
    return f"{date_fr(value)} à {time_fr(value)}"


def month_fr(value: datetime.date | datetime.datetime | None) -> str:
    """« mai 2026 »; "" for None."""
    if value is None or value == "":
        return ""
    value = _local(value)
    return f"{MONTHS[value.month - 1]} {value.year}"


# Elision. « de » becomes « d’ » before a vowel sound. The written rule we apply:
# - before a vowel letter, accented or not (a e i o u, à â é è ê ë î ï ô ö ù û ü, œ æ…): « d’Antoine », « d’Élodie »;
# - before « y » followed by a consonant (« d’Yves », « d’Ysé »), not before « y » + vowel, a consonant sound
#   (« de Yasmine », « de Yoann »);
# - before « h » only for the first names below, whose « h » is mute (« d’Hélène », « d’Hugo »): an « h » is
#   aspirated in many names (« de Hollande », « de Hamid »…) and we cannot tell them apart, so « de » stays;
# - anything else keeps « de » (consonants, digits, quotes, an empty name).
# The apostrophe is the typographic one (’), as in the templates.
MUTE_H_NAMES = frozenset(
    fold(name)
    for name in (
        "Hadrien",
        "Hector",
        "Hélène",
        "Héloïse",
        "Henri",
        "Henriette",
        "Herbert",
        "Hermine",
        "Hervé",
        "Hilaire",
        "Hippolyte",
        "Honoré",
        "Honorine",
        "Horace",
        "Hortense",
        "Hubert",
        "Hugo",
        "Hugues",
        "Hyacinthe",
    )
)
VOWELS = frozenset("aeiou")


def _first_letter(word: str) -> str:
    """The word's first letter without its accents, lowercased (« É » → « e », « Œ » → « o »)."""
    return fold(word[:1])[:1]


def elides(word: str) -> bool:
    """Whether « de », « le », « que »… lose their vowel before `word` (the rule above)."""
    word = (word or "").strip()
    first = _first_letter(word)
    if first in VOWELS:
        return True
    if first == "y":
        second = _first_letter(word[1:])
        return second.isalpha() and second not in VOWELS and second != "y"
    if first == "h":
        return fold(re.split(r"[\s\-’']", word, maxsplit=1)[0]) in MUTE_H_NAMES
    return False


def de(name: str) -> str:
    """« d’Antoine », « d’Hélène », « de Paul »: the preposition « de » before `name`, elided when French elides it."""
    name = str(name or "").strip()
    return f"d’{name}" if elides(name) else f"de {name}"


# Singular and plural: French puts 0 and 1 in the singular (« 0 lauréat », « 1 lauréat », « 2 lauréats »); Django's
# `pluralize` puts 0 in the plural.


def _count(value) -> int:
    """A number, or the length of a sequence (as Django's `pluralize` takes both); 0 when it is neither."""
    if isinstance(value, numbers.Number):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0
    try:
        return len(value)
    except TypeError:
        return 0


def is_plural(value) -> bool:
    """French grammar: 2 and more (and -2 and less) are plural; 0, 1 and 1.5 are singular."""
    return abs(_count(value)) >= 2


def plural(value, singular: str, plural_form: str | None = None) -> str:
    """The word agreeing with `value`: plural(2, "lauréat") → « lauréats » (`plural_form`: `singular` + s)."""
    if not is_plural(value):
        return singular
    return plural_form if plural_form is not None else f"{singular}s"


def number_fr(value) -> str:
    """« 12 345 » (a narrow no-break space between thousands), « 2,5 »."""
    number = _count(value)
    if number != int(number):
        integer, _, decimals = f"{float(number):,}".partition(".")
        return integer.replace(",", "\u202f") + "," + decimals
    return f"{int(number):,}".replace(",", "\u202f")


def quantity(value, singular: str, plural_form: str | None = None) -> str:
    """« 0 lauréat », « 1 lauréat », « 2 lauréats », « 1 234 demandes »."""
    return f"{number_fr(value)} {plural(value, singular, plural_form)}"
