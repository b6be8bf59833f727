"""The demo registry of a first `make run` (`manage.py load_demo`): loaded on an empty registry only, labelled on
every page through the layout's notice, and removed by the first real import, all or nothing with it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.template import RequestContext, Template
from django.test import RequestFactory

from incubateur.core.context_processors import DEMO_LOADED, DEMO_REMOVED, demo_data_loaded
from incubateur.core.models import JournalEntry
from incubateur.registry.models import Member, Organisation, Product
from incubateur.synthetic import generator
from tests.factories import UserFactory
from tests.organisation.helpers import load_organisation
from tests.registry.factories import IncubatorFactory, MemberFactory, OrganisationFactory, ProductFactory

BANNER = "Données de démonstration"


@pytest.fixture(autouse=True)
def notice_on(settings):
    settings.DEMO_DATA_NOTICE = True  # as in `make run`'s settings (config/settings/dev.py)


@pytest.fixture
def organisation():
    load_organisation(routing=True)
    call_command("load_programmes", stdout=StringIO())


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", "--scale", "1", stdout=out)
    return out.getvalue()


def banner(user=None) -> str:
    """The layout's notice as a page renders it (through the context processors)."""
    request = RequestFactory().get("/")
    request.user = user or UserFactory()
    return Template('{% include "ui/_demo_banner.html" %}').render(RequestContext(request))


def import_tree(tmp_path, organisation_text: str) -> str:
    folder = tmp_path / "content" / "_organisations"
    folder.mkdir(parents=True)
    (folder / "dinum.md").write_text(organisation_text, encoding="utf-8")
    out = StringIO()
    call_command("import_betagouv", str(tmp_path / "content"), stdout=out)
    return out.getvalue()


VALID = "---\nname: Direction interministérielle du numérique\nacronym: DINUM\ntype: administration-centrale\n---\n"


def test_on_an_empty_registry_the_demo_is_loaded_and_labelled(organisation):
    assert BANNER not in banner()
    assert "Données de démonstration chargées (1 produits fictifs" in load_demo()
    assert demo_data_loaded()
    assert Product.objects.filter(ghid__startswith=generator.GHID_PREFIX).count() == Product.objects.count() == 1
    usernames = list(Member.objects.values_list("username", flat=True))
    assert usernames and all(username.startswith("demo.") for username in usernames)
    html = banner()
    assert '<div class="fr-notice fr-notice--info" id="donnees-de-demonstration">' in html
    assert BANNER in html
    assert JournalEntry.objects.filter(action=DEMO_LOADED).count() == 1


@pytest.mark.parametrize("row", [ProductFactory, MemberFactory, OrganisationFactory, IncubatorFactory])
def test_a_registry_with_data_gets_no_demo(organisation, row):
    row()
    before = Product.objects.count()
    assert load_demo() == "Registre non vide : pas de données de démonstration chargées.\n"
    assert not demo_data_loaded()
    assert Product.objects.count() == before and not JournalEntry.objects.filter(action=DEMO_LOADED).exists()
    assert BANNER not in banner()


def test_the_first_real_import_removes_the_demo_and_its_label(organisation, tmp_path):
    load_demo()
    import_tree(tmp_path, VALID)
    assert not Product.objects.exists() and not Member.objects.exists()
    assert not Organisation.objects.filter(ghid__startswith=generator.GHID_PREFIX).exists()
    assert Organisation.objects.get().ghid == "dinum"  # the import's own rows stay
    assert not demo_data_loaded()
    assert BANNER not in banner()
    removed = JournalEntry.objects.get(action=DEMO_REMOVED)
    assert removed.message.startswith("Données de démonstration retirées : ")
    # A later `make run` loads no demo again, even though this tree had no product: real data came.
    assert load_demo().startswith("Registre non vide")


def test_a_refused_import_leaves_the_demo(organisation, tmp_path):
    load_demo()
    with pytest.raises(CommandError):
        import_tree(tmp_path, "---\nname: [unclosed\n---\n")
    assert demo_data_loaded()
    assert Product.objects.filter(ghid__startswith=generator.GHID_PREFIX).exists()
    assert BANNER in banner()


def test_an_import_without_demo_data_records_nothing_about_it(tmp_path):
    import_tree(tmp_path, VALID)
    assert not JournalEntry.objects.filter(action__in=(DEMO_LOADED, DEMO_REMOVED)).exists()


def test_the_label_costs_no_query_unless_a_page_shows_it(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = UserFactory()
    with django_assert_num_queries(0):
        Template("{{ current_role }}").render(RequestContext(request))
    with django_assert_num_queries(1):
        Template('{% include "ui/_demo_banner.html" %}').render(RequestContext(request))
