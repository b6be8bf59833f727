"""`frontmatter`: splitting a Jekyll file, reading its YAML (libyaml), lines for messages, writing it back; and
the importer's check of one file, which never raises whatever it is given (Hypothesis)."""

import datetime

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incubateur.registry import content
from incubateur.registry.content import frontmatter, reading
from incubateur.registry.content.frontmatter import FrontMatterError, InvalidDate

# --- Splitting -------------------------------------------------------------------------------------------


def test_a_file_splits_into_front_matter_and_body_with_the_line_of_the_body():
    doc = frontmatter.parse("---\ntitle: Essai\nphases: []\n---\n## Problème\n\nUn texte.\n")
    assert doc.data == {"title": "Essai", "phases": []}
    assert doc.body == "## Problème\n\nUn texte.\n"
    assert doc.first_line == 2
    assert doc.body_line == 5


def test_the_front_matter_ends_at_the_first_closing_line_and_the_body_keeps_its_own_rules():
    doc = frontmatter.parse("---\na: 1\n---\nAvant\n\n---\n\nAprès une ligne horizontale\n")
    assert doc.data == {"a": 1}
    assert doc.body == "Avant\n\n---\n\nAprès une ligne horizontale\n"


@pytest.mark.parametrize(
    "text,data,body",
    [
        ("---\n---\n", {}, ""),
        ("---\na: 1\n---", {"a": 1}, ""),  # no newline at the very end
        ("---   \na: 1\n...\ncorps", {"a": 1}, "corps"),  # YAML's document end, trailing spaces on the opening
        ("\ufeff---\r\na: 1\r\n---\r\nligne 1\r\nligne 2\r\n", {"a": 1}, "ligne 1\nligne 2\n"),  # BOM and CRLF
    ],
    ids=["empty", "no-final-newline", "dots", "bom-crlf"],
)
def test_the_shapes_jekyll_accepts(text, data, body):
    doc = frontmatter.parse(text)
    assert (doc.data, doc.body) == (data, body)


@pytest.mark.parametrize(
    "text,message,line",
    [
        ("title: Essai\n", "pas d'en-tête YAML", 1),
        ("---\ntitle: Essai\n", "en-tête YAML non fermé", 1),
        ("---\n- une\n- liste\n---\n", "l'en-tête YAML doit être une table", 2),
        ("---\ntitle: Essai\nphases: [\n---\n", "YAML invalide", 4),
        ("---\ntitle: Essai\n\tmission: tabulation\n---\n", "YAML invalide", 3),
        ("---\ntitle: Essai\nmission: un caractère \x1f interdit\n---\n", "YAML invalide", 3),
        ("---\na: 1\nb: !!int douze\n---\n", "YAML invalide : valeur illisible", 3),
        ("---\na: 1\nb: !!bool peut-être\n---\n", "YAML invalide : valeur illisible", 3),
        ("---\na: !inconnu x\n---\n", "YAML invalide", 2),
        ("---\n? [a]\n: 1\n---\n", "YAML invalide", 2),
    ],
    ids=[
        "no-front-matter",
        "not-closed",
        "a-list",
        "unclosed-flow",
        "tab",
        "control-character",
        "bad-int",
        "bad-bool",
        "unknown-tag",
        "unhashable-key",
    ],
)
def test_what_cannot_be_read_is_reported_with_its_line_of_the_file(text, message, line):
    with pytest.raises(FrontMatterError) as caught:
        frontmatter.parse(text)
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.line == line


def test_too_deep_a_nesting_is_reported_not_raised():
    with pytest.raises(FrontMatterError, match="YAML invalide"):
        frontmatter.parse("---\na: " + "[" * 5000 + "\n---\n")


# --- Reading values --------------------------------------------------------------------------------------


def test_values_are_what_pyyaml_safe_load_gives():
    text = (
        "a: 2024-01-15\nb: '2024-01-15'\nc: 2027-02-19T00:00:00.000Z\nd: true\ne: 12\nf: 1.5\ng: ~\n"
        "h: [x, 'y ']\ni: {j: k}\nl: no\nm: 0x10\n"
    )
    doc = frontmatter.parse(f"---\n{text}---\n")
    assert doc.data == yaml.safe_load(text)
    assert doc.data["a"] == datetime.date(2024, 1, 15)
    assert doc.data["b"] == "2024-01-15"


def test_an_impossible_date_is_kept_as_its_text_for_the_caller_to_report():
    doc = frontmatter.parse("---\nmissions:\n  - start: 2024-02-30\n    end: 2024-13-01\n---\n")
    start, end = doc.data["missions"][0]["start"], doc.data["missions"][0]["end"]
    assert isinstance(start, InvalidDate) and start == "2024-02-30"
    assert isinstance(end, InvalidDate) and end == "2024-13-01"


def test_rare_tags_anchors_and_merge_keys_read_as_with_pyyaml():
    text = "base: &b {x: 1}\ncopie: *b\nfusion:\n  <<: *b\n  y: 2\nbinaire: !!binary aGVsbG8=\nensemble: !!set {u}\n"
    doc = frontmatter.parse(f"---\n{text}---\n")
    assert doc.data == yaml.safe_load(text)
    assert doc.data["copie"] is doc.data["base"]  # an alias is the same object, not a copy


def test_line_of_a_field():
    doc = frontmatter.parse(
        "---\nfullname: Camille\nmissions:\n  - start: 2020-01-01\n  - start: 2021-01-01\n    end: 2020-01-01\n---\n"
    )
    assert doc.line_of("fullname") == 2
    assert doc.line_of("missions") == 3
    assert doc.line_of("missions", 1) == 5
    assert doc.line_of("missions", 1, "end") == 6
    assert doc.line_of("missions", 1, "status") == 5  # missing: the line of the entry that lacks it
    assert doc.line_of("domaine") is None  # a missing top-level field has no line
    assert doc.line_of("missions", 7) == 3


# --- Writing ---------------------------------------------------------------------------------------------


def test_dump_writes_what_parse_reads_back():
    data = {
        "title": "Un titre: avec deux-points",
        "link": "https://exemple.gouv.fr ",
        "code": "0123",
        "oui": "yes",
        "date_texte": "2024-01-15",
        "date": datetime.date(2024, 1, 15),
        "quand": frontmatter.YamlTimestamp("2027-02-19T00:00:00+00:00"),
        "phases": [{"name": "construction", "start": datetime.date(2024, 1, 1)}],
        "long": "mot " * 100,
        "lignes": "une\ndeux\n",
        "vide": "",
        "faux": False,
        # The line breaks YAML knows besides \n and \r (a NEL was read back as a space).
        "nel": "A\x85B",
        "ls": "A\u2028B",
        "ps": "A\u2029B",
        "A\x85B": "clé",
    }
    text = frontmatter.dump(data, "## Corps\n")
    doc = frontmatter.parse(text)
    assert doc.body == "## Corps\n"
    assert doc.data == {
        **data,
        "quand": datetime.datetime(2027, 2, 19, tzinfo=datetime.UTC),
    }
    assert "date: 2024-01-15\n" in text
    assert "  - name: construction\n    start: 2024-01-01\n" in text  # lists indented under their key
    assert "\nlong: 'mot mot" in text and "mot mot '\n" in text  # one line, never folded
    assert 'nel: "A\\NB"\n' in text  # escaped


# Any character but a lone surrogate (not UTF-8), the odd ones more often: YAML's line breaks (\n, \r, NEL, LS,
# PS), tabs, a BOM, controls, non-characters, quotes and the characters YAML gives a meaning.
ANY_TEXT = st.lists(
    st.characters(exclude_categories=["Cs"])
    | st.sampled_from(list("\n\r\x85\u2028\u2029\t\ufeff\x00\x1b\x7f\x9f\ufffe\uffff\U0010ffff '\":#-&*!|>%@`?[]{},"))
    | st.sampled_from(["---", "...", "\n---\n", "yes", "null", "2024-01-15", "1e3", "0o17", " \n "]),
    max_size=8,
).map("".join)


@hypothesis_settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(ANY_TEXT, ANY_TEXT | st.lists(ANY_TEXT, max_size=3) | st.dictionaries(ANY_TEXT, ANY_TEXT)),
    body=st.text(max_size=20),
)
def test_dump_then_parse_gives_back_any_text(data, body):
    body = body.replace("\r", "")  # a body is read with its line ends made \n
    doc = frontmatter.parse(frontmatter.dump(data, body))
    assert doc.data == data
    assert doc.body == body


def test_dump_of_nothing():
    assert frontmatter.dump({}, "") == "---\n---\n"


# --- Never a crash ---------------------------------------------------------------------------------------

YAMLISH = st.text(
    alphabet=st.sampled_from(list("abcdé- :\n\t{}[],#&*!|>'\"%@`?0123456789.+_<~")) | st.characters(),
    max_size=200,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.dates(min_value=datetime.date(1900, 1, 1))
    | st.sampled_from(
        [
            "2024-02-30",
            "2024-13-01",
            "construction",
            "alumni",
            "Développement",
            "/organisations/dinum",
            "/teams/animation",
            "dinum",
            "camille.martin",
            "a\x00b",
            "x" * 600,
            "yes",
            "",
            " ",
        ]
    )
)
KEYS = st.sampled_from(
    sorted(set().union(*reading.MODELLED_KEYS.values()) | reading.MISSION_KEYS | reading.PHASE_KEYS)
    + sorted(reading.EVENT_KEYS | reading.FAST_KEYS | {"badges", "previously", "rgpd", "_body", "id"})
) | st.text(max_size=8)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
SHAPED = st.dictionaries(KEYS, TREES, max_size=12)
KINDS = st.sampled_from([kind.name for kind in content.KINDS])
NAMES = st.sampled_from(["camille.martin.md", "mon-service.md", "sans-extension", "Majuscules.md", "a b.md"])


def _check(kind, name, text):
    problems = content.check_file(kind, name, text)
    rel = f"{content.KIND[kind].folder}/{name}"
    for problem in problems:
        assert isinstance(problem, content.Problem)
        assert problem.file == rel
        assert str(problem).startswith(rel)
        assert problem.message


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=YAMLISH)
def test_parse_raises_only_front_matter_errors(text):
    for candidate in (text, f"---\n{text}\n---\n"):
        try:
            doc = frontmatter.parse(candidate)
        except FrontMatterError as error:
            assert error.message
            continue
        assert isinstance(doc.data, dict)


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, name=NAMES, text=YAMLISH)
def test_checking_a_file_never_raises_on_yamlish_text(kind, name, text):
    _check(kind, name, f"---\n{text}\n---\n")


@hypothesis_settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, name=NAMES, data=SHAPED, body=st.text(max_size=40))
def test_checking_a_file_never_raises_on_any_structure(kind, name, data, body):
    _check(kind, name, f"---\n{yaml.safe_dump(data, allow_unicode=True)}---\n{body}")


GOOD_MEMBER = {
    "fullname": "Camille Martin",
    "role": "Développeuse",
    "domaine": "Développement",
    "missions": [{"start": datetime.date(2024, 1, 1), "status": "independent", "startups": ["mon-service"]}],
}
GOOD_PRODUCT = {
    "title": "Mon service",
    "mission": "Simplifier une démarche",
    "incubator": "dinum",
    "phases": [{"name": "investigation", "start": datetime.date(2024, 1, 1)}],
    "events": [{"name": "committee", "date": datetime.date(2024, 2, 1)}],
}


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(good=st.sampled_from([("members", GOOD_MEMBER), ("products", GOOD_PRODUCT)]), key=KEYS, value=TREES)
def test_checking_a_good_file_with_one_key_replaced_never_raises(good, key, value):
    kind, data = good
    _check(kind, "fiche.md", "---\n" + yaml.safe_dump({**data, key: value}, allow_unicode=True) + "---\n")


def test_the_good_files_of_the_hypothesis_tests_are_good():
    assert content.check_file("members", "camille.martin.md", "---\n" + yaml.safe_dump(GOOD_MEMBER) + "---\n") == []
    assert content.check_file("products", "mon-service.md", "---\n" + yaml.safe_dump(GOOD_PRODUCT) + "---\n") == []
