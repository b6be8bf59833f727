"""The checklists are data: the shipped files load, and a broken file is refused with a message that names the
file and the item."""

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from incubateur.community import checklists
from incubateur.community.checklists import ChecklistError, parse
from incubateur.community.models import Checklist
from incubateur.registry.enums import Domaine


@pytest.mark.parametrize("checklist", Checklist.values)
def test_the_shipped_files_load(checklist):
    items = checklists.load(checklists.FILES[Checklist(checklist)])
    assert len(items) >= 5
    assert len({item.key for item in items}) == len(items)
    assert any(item.animation_only for item in items), "an item for the Pôle Animation"
    for item in items:
        assert set(item.domaines) <= set(Domaine.values)


def test_the_onboarding_has_the_workshop_for_the_animation_and_items_filtered_by_domaine():
    onboarding = {item.key: item for item in checklists.items(Checklist.ONBOARDING)}
    assert onboarding["atelier-embarquement"].animation_only
    assert onboarding["atelier-embarquement"].label == "Atelier d'embarquement suivi"
    for_developers = {i.key for i in checklists.items_for(Checklist.ONBOARDING, Domaine.DEVELOPPEMENT)}
    for_designers = {i.key for i in checklists.items_for(Checklist.ONBOARDING, Domaine.DESIGN)}
    assert "github" in for_developers and "github" not in for_designers
    assert "accessibilite-design" in for_designers and "accessibilite-design" not in for_developers
    assert {"charte", "fiche-membre", "tchap", "atelier-embarquement"} <= for_developers & for_designers


GOOD = {"key": "charte", "label": "Lire la charte"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("items: [", "onboarding.yaml : YAML illisible"),
        ("- key: x", "une seule clé « items »"),
        ({"items": []}, "liste non vide"),
        ({"items": [GOOD], "autre": 1}, "une seule clé « items »"),
        ({"items": ["charte"]}, "onboarding.yaml, étape 1 : une étape est un dictionnaire"),
        ({"items": [{"label": "Sans clé"}]}, "étape 1 : « key » est obligatoire"),
        ({"items": [{"key": "Charte", "label": "x"}]}, "« key » est obligatoire"),
        ({"items": [{"key": "a b", "label": "x"}]}, "« key » est obligatoire"),
        ({"items": [GOOD, GOOD]}, "étape 2 « charte » : cette clé est déjà utilisée"),
        ({"items": [{"key": "charte"}]}, "étape 1 « charte » : « label » doit être un texte non vide"),
        ({"items": [{"key": "charte", "label": "  "}]}, "« label » doit être un texte non vide"),
        ({"items": [{**GOOD, "help": 3}]}, "« help » doit être un texte non vide"),
        ({"items": [{**GOOD, "titre": "x"}]}, "étape 1 « charte » : champ inconnu titre"),
        ({"items": [{**GOOD, "domaines": ["Dev"]}]}, "domaine inconnu Dev"),
        ({"items": [{**GOOD, "domaines": "Design"}]}, "« domaines » doit être une liste"),
        ({"items": [{**GOOD, "by": "staff"}]}, "« by » ne peut valoir que « animation »"),
        ({"items": [{**GOOD, "links": "https://x.fr"}]}, "« links » doit être une liste"),
        ({"items": [{**GOOD, "links": [{"url": "https://x.fr"}]}]}, "exactement « label » et « url »"),
        ({"items": [{**GOOD, "links": [{"label": "x", "url": "javascript:alert(1)"}]}]}, "pas une adresse http(s)"),
        ({"items": [GOOD, {"key": "deux", "label": "Deux", "by": "x"}]}, "étape 2 « deux »"),
    ],
)
def test_a_broken_file_is_refused_naming_file_and_item(document, message):
    text = document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True)
    with pytest.raises(ChecklistError) as refused:
        parse(text, name="onboarding.yaml")
    assert message in str(refused.value)
    assert str(refused.value).startswith("onboarding.yaml")


def test_a_good_item_is_read_whole():
    (item,) = parse(
        yaml.safe_dump(
            {
                "items": [
                    {
                        "key": "atelier",
                        "label": "Atelier suivi",
                        "help": "Un *atelier*.",
                        "links": [{"label": "Doc", "url": "https://doc.incubateur.net/"}],
                        "domaines": ["Design"],
                        "by": "animation",
                    }
                ]
            }
        ),
        name="x.yaml",
    )
    assert item.animation_only and item.applies_to("Design") and not item.applies_to("Data")
    assert item.links[0].url == "https://doc.incubateur.net/" and item.help == "Un *atelier*."


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)
item_like = st.dictionaries(
    st.sampled_from(["key", "label", "help", "links", "domaines", "by", "autre"]),
    st.one_of(values, st.sampled_from(["charte", "Design", "animation", "https://x.fr"])),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(values, st.fixed_dictionaries({"items": st.lists(item_like | values, max_size=4)})))
def test_any_document_is_read_or_refused_with_the_file_name(document):
    try:
        items = parse(yaml.safe_dump(document, allow_unicode=True), name="offboarding.yaml")
    except ChecklistError as refused:
        assert str(refused).startswith("offboarding.yaml")
    else:
        assert items and all(item.key and item.label for item in items)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_with_the_file_name(text):
    try:
        parse(text, name="onboarding.yaml")
    except ChecklistError as refused:
        assert str(refused).startswith("onboarding.yaml")
