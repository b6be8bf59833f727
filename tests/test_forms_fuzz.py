"""Hypothesis on every form of the project.

Every subclass of `django.forms.BaseForm` defined under `incubateur.` is found by importing the project's modules;
each must have a row in `tests/forms_fuzz_builders.BUILDERS` (a test fails, naming the class, when one is missing,
as the access matrix does for routes), which builds it as its views do, in every variant they use.

For each form, Hypothesis posts data drawn from the form's own fields: each field omitted, empty, arbitrary text
(control characters, NUL and lone surrogates included), a very long text, a number written as text, a plausible
value for its type (one of its choices, a date in its input formats, an amount, a URL, an e-mail, a slug, a hint of
the builder), or several values under its name. Some examples post plausible values only, others one of the
builder's valid postings with a few fields changed, so that valid forms and their cross-field rules are exercised
too.

What is posted goes through the edge first, as in production: it is encoded as a browser would (UTF-8; a lone
surrogate as its bytes), `core.middleware.HostileInputMiddleware` must refuse every posting with a NUL character (and
one over the size limit), and the form gets what Django decoded (a lone surrogate arrives as U+FFFD). Whatever the
form gets:

- `is_valid()` does not raise, nor what the views read of the form afterwards (e.g. `submission()`), nor its
  rendering (the page shown again with the errors and what was typed);
- an invalid form's errors are keyed by its fields' names or `__all__`, each message a non-empty string;
- a valid form's `cleaned_data` has an entry for every field.

Each example runs in a savepoint rolled back after it: validation writes nothing, and on PostgreSQL a refused query
fails that example only. Deterministic by default (derandomized, 60 examples per form, after the known crashers of
`REGRESSIONS`); `FORMS_FUZZ_EXAMPLES=2000` explores with random seeds and more examples.
"""

import datetime
import importlib
import os
import pkgutil
from urllib.parse import urlencode

import pytest
from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import formats
from hypothesis import HealthCheck, Phase, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

import incubateur
from incubateur.core.middleware import hostile_input
from tests.forms_fuzz_builders import BUILDERS, make_world

# Bases that are never shown as such: only their subclasses are.
ABSTRACT_FORMS = {
    "incubateur.ui.forms.BaseForm",  # the project's base (DSFR rendering)
    "incubateur.guichet.forms.requester.VersionedForm",  # the version field of StatusForm and AssignForm
}

EXPLORE = int(os.environ.get("FORMS_FUZZ_EXAMPLES", "0"))
FUZZ_SETTINGS = settings(
    max_examples=EXPLORE or 60,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    # No "explain" phase: it is slow, and the failing example says enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def dotted(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class defined in the project's modules (migrations aside)."""
    for module in pkgutil.walk_packages(incubateur.__path__, "incubateur."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {
        cls
        for cls in subclasses(forms.BaseForm)
        if cls.__module__.startswith("incubateur.") and dotted(cls) not in ABSTRACT_FORMS
    }
    return sorted(found, key=dotted)


FORMS = project_forms()


def form_id(cls) -> str:
    return dotted(cls).removeprefix("incubateur.")


def test_every_form_is_fuzzed():
    missing = [dotted(cls) for cls in FORMS if cls not in BUILDERS]
    assert missing == [], f"Forms without a row in tests/forms_fuzz_builders.BUILDERS: {missing}"
    stale = [dotted(cls) for cls in BUILDERS if cls not in FORMS]
    assert stale == [], f"Rows of BUILDERS for classes that are not (or no longer) forms of the project: {stale}"


def test_abstract_forms_exist():
    """The exclusions name real classes (a renamed base would otherwise hide a form)."""
    for name in ABSTRACT_FORMS:
        module, _, qualname = name.rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), qualname), forms.BaseForm)


# --- Strategies ---------------------------------------------------------------------------------------------------

NASTY = [
    "\x00",
    "a\x00b",
    "\ud800",
    "a\udfffb",
    "\udbff\udc00",  # a pair written as two code points: not UTF-8 once encoded either
    "\r\n",
    " ",
    "\u200b",
    "\ufeff",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}",
    "%s %(x)s {0}",
    "NaN",
    "-Infinity",
    "sNaN",
    "1e999999999",
    "-0",
    "0x10",
    "1_000",
    "٣",
    "１２",
    "9" * 40,
    "null",
    "[]",
    "../../etc/passwd",
]
# Any code point, lone surrogates included (Hypothesis leaves them out of text by default).
NASTY_TEXT = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=[]), max_size=40))
LONG_TEXT = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["a", "é", "\x00", "\ud800", " ", "9", ",", "\n", "-", "\U0001d54f"]),
    st.integers(min_value=100, max_value=30_000),
)
NUMBER_TEXT = st.one_of(
    st.integers().map(str),
    st.floats().map(str),
    st.decimals().map(str),
    st.integers(min_value=-(10**7), max_value=10**7).map(lambda exponent: f"1e{exponent}"),
)
WORDS = st.text(st.characters(categories=["L", "N", "P", "Zs", "S"]), min_size=1, max_size=200)
# Paris's clock: a day of moving to summer time (02:30 does not exist) and of moving back (02:30 happens twice).
DATETIMES_OF_NOTE = ["2026-03-29T02:30", "2025-10-26T02:30", "29/03/2026 02:30", "31/12/9999 23:59", "01/01/0001"]


def _format_date(value: datetime.date | datetime.datetime, pattern: str) -> str:
    # strftime writes year 1 as "1" on Linux; people (and input formats) write 0001.
    return value.strftime(pattern.replace("%Y", f"{value.year:04d}"))


def _formats(field: forms.Field, setting: str) -> list[str]:
    patterns = getattr(field, "input_formats", None)
    return list(patterns) if patterns else list(formats.get_format(setting))


def _choice_values(field: forms.ChoiceField) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value))
    return values


def _integers(field: forms.Field, *, calm: bool) -> st.SearchStrategy[str]:
    low = getattr(field, "min_value", None)
    high = getattr(field, "max_value", None)
    margin = 0 if calm else 2
    low = -(10**6) if low is None else low - margin
    high = 10**6 if high is None else high + margin
    number = st.one_of(st.integers(min_value=low, max_value=high), st.sampled_from([low + margin, high - margin]))
    written = st.sampled_from(
        [
            str,
            lambda n: f"{n:,}".replace(",", " "),
            lambda n: f"{n:,}".replace(",", "\u202f") + " €",
            lambda n: f"{n} €",
            lambda n: f"{n}.0",
            lambda n: f" {n} ",
        ]
    )
    return st.builds(lambda n, write: write(n), number, written)


def plausible(field: forms.Field, hints: list[str], *, calm: bool) -> st.SearchStrategy[str]:
    """A value a browser would send for this field; `calm`: one that the field itself accepts, or nearly."""
    options = [st.sampled_from(hints)] * 2 if hints else []
    if isinstance(field, forms.ModelChoiceField | forms.ChoiceField):
        # A model's choices are read once here, not at every example.
        options.append(st.sampled_from(_choice_values(field) or [""]))
        if isinstance(field, forms.ModelChoiceField) and not calm:
            # No such row; out of the range of a 32-bit, then of a 64-bit integer; not an integer.
            options.append(st.sampled_from(["987654321", "2147483648", "99999999999999999999", "-1", "1.0"]))
    elif isinstance(field, forms.BooleanField | forms.NullBooleanField):
        options.append(st.sampled_from(["on", "true", "false", "True", "1", "0"] + ([] if calm else ["unknown"])))
    elif isinstance(field, forms.DateTimeField):
        patterns = _formats(field, "DATETIME_INPUT_FORMATS")
        options.append(st.builds(_format_date, st.datetimes(), st.sampled_from(patterns)))
        options.append(st.sampled_from(DATETIMES_OF_NOTE))
    elif isinstance(field, forms.DateField):
        patterns = _formats(field, "DATE_INPUT_FORMATS")
        recent = st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2030, 12, 31))
        options.append(st.builds(_format_date, recent if calm else st.dates(), st.sampled_from(patterns)))
        if not calm:
            options.append(st.sampled_from(["31/02/2026", "2026-02-29", "9999-12-31", "0001-01-01"]))
    elif isinstance(field, forms.IntegerField):
        options.append(_integers(field, calm=calm))
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        options.append(st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str))
    elif isinstance(field, forms.EmailField):
        options.append(st.emails())
        options.append(st.sampled_from(["prenom.nom@beta.gouv.fr", "Prénom.Nom@BETA.gouv.fr"]))
        if not calm:
            options.append(st.sampled_from(["a@b", "@", "a@@b.fr", "a@b.fr\n", "é@é.fr"]))
    elif isinstance(field, forms.URLField):
        options.append(urls())
        options.append(st.sampled_from(["exemple.beta.gouv.fr", "https://exemple.beta.gouv.fr/a?b=c#d"]))
        if not calm:
            options.append(st.sampled_from(ODD_URLS))
    elif isinstance(field, forms.SlugField):
        options.append(st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,40}\Z"))
    else:  # CharField and the project's fields built on it
        options.append(WORDS)
    good = st.one_of(options)
    if calm and not field.required:
        return _weighted((4, good), (1, st.just("")))
    return good


ODD_URLS = [
    "http://[::1]/",
    "javascript:alert(1)",
    "ftp://exemple.org",
    "https://exemple.fr/" + "a" * 600,
    "https://xn--exmple-cua.fr",
    "https://exémple.fr",
    "https://exemple.fr:99999",
    "https://[::1",
    "//exemple.fr",
    "https://exemple.fr/\x00",
]


def _weighted(*options: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    return st.sampled_from([strategy for weight, strategy in options for _ in range(weight)]).flatmap(lambda s: s)


def field_values(field: forms.Field, hints: list[str], *, calm: bool) -> st.SearchStrategy[list[str] | None]:
    """What is posted under the field's name: None (omitted) or its values."""
    good = plausible(field, hints, calm=calm)
    multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    if calm:
        return st.lists(good, max_size=3) if multiple else good.map(lambda value: [value])
    one = _weighted((6, good), (1, st.just("")), (2, NASTY_TEXT), (1, LONG_TEXT), (1, NUMBER_TEXT))
    if multiple:
        return st.one_of(st.none(), st.lists(one, max_size=4))
    return _weighted((8, one.map(lambda value: [value])), (1, st.none()), (1, st.lists(one, min_size=2, max_size=3)))


def _without_omitted(posted: dict) -> dict:
    return {key: values for key, values in posted.items() if values is not None}


def payload(form: forms.BaseForm, hints: dict[str, list[str]], *, calm: bool) -> st.SearchStrategy[dict]:
    entries = {
        form.add_prefix(name): field_values(field, hints.get(name, []), calm=calm)
        for name, field in form.fields.items()
    }
    return st.fixed_dictionaries(entries).map(_without_omitted)


def posted_form(form: forms.BaseForm, posting: dict) -> dict[str, list[str]]:
    """A builder's valid posting (field name → value or values), as posted (prefixed names → values)."""
    return {
        form.add_prefix(name): list(value) if isinstance(value, list | tuple) else [value]
        for name, value in posting.items()
    }


KEEP = object()  # a mutant's field left as in the valid posting


def mutants(form: forms.BaseForm, valid: list[dict], hints: dict[str, list[str]]) -> st.SearchStrategy[dict]:
    """One of the builder's valid postings with a few fields changed (any of the wild values) or dropped."""
    bases = [posted_form(form, posting) for posting in valid]
    changes = {
        form.add_prefix(name): _weighted((6, st.just(KEEP)), (1, field_values(field, hints.get(name, []), calm=False)))
        for name, field in form.fields.items()
    }

    def apply(base: dict, changed: dict) -> dict:
        return _without_omitted({key: base.get(key) if value is KEEP else value for key, value in changed.items()})

    return st.builds(apply, st.sampled_from(bases), st.fixed_dictionaries(changes))


def query_dict(posted: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in posted.items():
        data.setlist(key, values)
    return data


def through_the_edge(posted: dict[str, list[str]]) -> QueryDict | None:
    """The posting as a browser sends it and as the form then gets it: None when the edge refuses it (a 400)."""
    pairs = [(key, value) for key, values in posted.items() for value in values]
    body = urlencode(pairs, encoding="utf-8", errors="surrogatepass")  # a lone surrogate: its (invalid) bytes
    request = RequestFactory().post("/", body, content_type="application/x-www-form-urlencoded")
    refusal = refused(request)
    nul = any("\x00" in value for _, value in pairs)  # a lone surrogate cannot travel in a form: no refusal for it
    too_large = len(body) > django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert (refusal is not None) == (nul or too_large), (refusal, nul, too_large)
    return None if refusal is not None else request.POST


def refused(request):
    try:
        return hostile_input(request)
    except RequestDataTooBig:
        return "body_too_large"


# --- The tests ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data the forms read, made once for the module in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield make_world()
        transaction.set_rollback(True)


def fuzz_strategy(world, form_class) -> tuple[dict, st.SearchStrategy]:
    """The form's variants by label, and a strategy of (variant's label, posted data)."""
    variants = {variant.label: variant for variant in BUILDERS[form_class](world)}
    posted = {}
    for label, variant in variants.items():
        unbound = variant.make(None)  # its fields, and their choices read once
        kinds = [(3, payload(unbound, variant.hints, calm=False)), (1, payload(unbound, variant.hints, calm=True))]
        if variant.valid:
            kinds.append((3, mutants(unbound, variant.valid, variant.hints)))
        posted[label] = _weighted(*kinds)
    strategy = st.sampled_from(sorted(variants)).flatmap(lambda label: st.tuples(st.just(label), posted[label]))
    return variants, strategy


def check(form: forms.BaseForm, use) -> bool:
    valid = form.is_valid()
    if valid:
        missing = sorted(set(form.fields) - set(form.cleaned_data))
        assert missing == [], f"cleaned_data lacks {missing}"
    else:
        names = set(form.fields) | {forms.forms.NON_FIELD_ERRORS}
        errors = form.errors.get_json_data()
        assert errors, "invalid without errors"
        for key, messages in errors.items():
            assert key in names, f"error on {key!r}, not a field of the form"
            for message in messages:
                assert isinstance(message["message"], str) and message["message"].strip(), (key, message)
    if use is not None:
        use(form)
    return valid


@pytest.mark.parametrize("form_class", [pytest.param(cls, id=form_id(cls)) for cls in FORMS if cls in BUILDERS])
def test_the_builders_valid_examples_are_valid(form_class, world, db):
    """The mutants start from valid postings: were they invalid, the fuzzer would seldom reach the forms' rules."""
    variants = BUILDERS[form_class](world)
    assert any(variant.valid for variant in variants), f"no valid example for {dotted(form_class)}"
    for variant in variants:
        for posting in variant.valid:
            form = variant.make(query_dict(posted_form(variant.make(None), posting)))
            assert form.is_valid(), (variant.label, posting, form.errors.get_json_data())


# Inputs that made a form raise, found by this module: replayed first at every run (Hypothesis' explicit examples),
# so that a known crash fails deterministically, and stays fixed once fixed. Class → [(variant, posted data)].
REGRESSIONS: dict[str, list[tuple[str, dict[str, list[str]]]]] = {
    # SQLite: `auth_group.id IN (99999999999999999999)` raises OverflowError (ModelMultipleChoiceField checks each
    # value with an exact lookup, which Django guards against overflows, then queries them with `__in`, unguarded).
    "incubateur.accounts.admin.UserChangeForm": [
        ("admin change", {"groups": ["99999999999999999999"]}),
        ("admin change", {"user_permissions": ["99999999999999999999"]}),
    ],
    # SQLite: the model's check constraint (closes after it opens) is validated with a query whose parameters are
    # converted to UTC: 01/01/0001 00:00 in Paris is before year 1 in UTC (OverflowError: date value out of range).
    "incubateur.programmes.forms.staff.CallForm": [
        ("new", {"opens_at": ["01/01/0001"], "closes_at": ["2000-01-01T00:00"]}),
    ],
}

# Dotted class name → (the database vendors where it fails, the bug it runs into, listed above): the lead removes
# the row once the application is fixed (the mark is strict: a fixed bug fails the test until then).
XFAIL: dict[str, tuple[set[str], str]] = {}


def _params() -> list:
    params = []
    for cls in FORMS:
        vendors, reason = XFAIL.get(dotted(cls), (set(), ""))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if connection.vendor in vendors else []
        params.append(pytest.param(cls, id=form_id(cls), marks=marks))
    return params


@pytest.mark.parametrize("form_class", _params())
def test_form_survives_any_input(form_class, world, db):
    assert form_class in BUILDERS, f"{dotted(form_class)} has no row in BUILDERS"
    variants, strategy = fuzz_strategy(world, form_class)

    def post(case):
        label, posted = case
        note(f"variant: {label!r}\nposted: {posted!r}")
        # Each example in a savepoint rolled back after it: nothing it does stays, and on PostgreSQL a failed query
        # fails this example only.
        data = through_the_edge(posted)
        if data is None:
            event("refused at the edge")
            return
        with transaction.atomic():
            form = variants[label].make(data)
            event("valid" if check(form, variants[label].use) else "invalid")
            str(form)  # the page shows it again, with its errors and what was typed
            transaction.set_rollback(True)

    post = given(strategy)(post)
    for known in reversed(REGRESSIONS.get(dotted(form_class), [])):
        post = example(known)(post)
    FUZZ_SETTINGS(post)()


def test_regressions_name_forms_and_variants(world, db):
    for name, cases in REGRESSIONS.items():
        form_class = next((cls for cls in FORMS if dotted(cls) == name), None)
        assert form_class is not None, f"{name} is not a form of the project"
        labels = {variant.label for variant in BUILDERS[form_class](world)}
        for label, _ in cases:
            assert label in labels, f"{name} has no variant {label!r}"
