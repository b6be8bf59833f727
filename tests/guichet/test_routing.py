"""The default routing table, row by row, with the tests' organisation (tests/fixtures/organisation.yaml) and
the default rules (`load_routing`): who receives each kind of request, why (the sentence shown on the request), the
fallbacks, and the precedence of the rules staff add."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from incubateur.guichet import services
from incubateur.guichet.models import RoutingRule
from incubateur.guichet.routing import DEFAULT_RULES, load_default_rules, route
from incubateur.organisation import services as organisation_services
from incubateur.organisation.models import Pole, Portfolio, Position
from tests.factories import person
from tests.organisation.helpers import load_organisation
from tests.registry.factories import IncubatorFactory, OrganisationFactory, ProductFactory

COACHING = "Le pôle Coaching produit"
ACCELERATION = "Le Pôle Accélération"
ANIMATION = "Le Pôle Animation et Expertises"
DIRECTION = "L'Équipe de Direction et Opérations"
PARTENARIATS = "Le Pôle Partenariats / Responsables de Portefeuille Ministériel"


def product(name, *, sponsors=(), themes=(), incubator_ministry="autres"):
    """A product with sponsors (ministry codes, in order), themes, and a principal incubator owned by an
    organisation of `incubator_ministry` ("autres" and "spm" are in no portfolio)."""
    slug = name.lower().replace(" ", "-")
    owner = OrganisationFactory(ghid=f"owner-{slug}", domaine_ministeriel=incubator_ministry)
    item = ProductFactory(
        ghid=slug, name=name, thematiques=list(themes), incubator=IncubatorFactory(ghid=f"inc-{slug}", owner=owner)
    )
    for order, code in enumerate(sponsors):
        sponsor = OrganisationFactory(ghid=f"sponsor-{slug}-{order}", domaine_ministeriel=code)
        item.productsponsor_set.create(organisation=sponsor, order=order)
    return item


def username(routing):
    return routing.assignee.username if routing.assignee is not None else None


# --- The table, row by row ------------------------------------------------------------------------


def test_doute_produit_goes_to_the_portfolio_manager_of_the_product(justice_product):
    routing = route(kind="doute-produit", product=justice_product)
    assert username(routing) == "pierre.boussole"
    assert routing.portfolio.slug == "justice"
    assert routing.pole.name == PARTENARIATS  # where Pierre holds the Justice portfolio (not his other pole)
    assert routing.copied == []
    assert (
        routing.reason
        == "attribuée à Pierre Boussole : portefeuille Justice, ministère Justice, produit Justice pour tous"
    )


def test_doute_produit_without_a_portfolio_falls_back_to_the_lead_of_coaching(organisation):
    orphan = product("Orphelin", sponsors=["spm"], incubator_ministry="spm")
    routing = route(kind="doute-produit", product=orphan)
    assert username(routing) == "gael.ivoire"
    assert routing.portfolio is None
    assert routing.pole.slug == "coaching"
    assert routing.reason == (
        f"attribuée à Gaël Ivoire : aucun portefeuille ne couvre ce périmètre : {COACHING} prend le relais, "
        "produit Orphelin"
    )


def test_doute_produit_without_any_product_falls_back_to_coaching_too(organisation):
    routing = route(kind="doute-produit")
    assert username(routing) == "gael.ivoire"
    assert routing.reason == f"attribuée à Gaël Ivoire : aucun périmètre indiqué : {COACHING} prend le relais"


def test_partenariat_goes_to_the_manager_of_the_named_ministry(justice_product):
    routing = route(kind="partenariat", ministry="interieur", product=justice_product)
    assert username(routing) == "theo.dolmen"
    assert routing.portfolio.slug == "interieur"
    assert routing.reason == (
        "attribuée à Théo Dolmen : portefeuille Intérieur, ministère Intérieur, produit Justice pour tous"
    )


def test_partenariat_named_ministry_wins_over_the_products_themes(organisation):
    # The administration named in the request is what the partnership is about, even when the product's
    # theme belongs to another portfolio.
    health = product("Santé Plus", themes=["Santé"], sponsors=["solidarite-sante"])
    assert username(route(kind="partenariat", ministry="agriculture", product=health)) == "madeleine.marin"
    assert username(route(kind="partenariat", product=health)) == "eline.le-brizec"


def test_partenariat_named_ministry_without_portfolio_uses_the_products(justice_product):
    routing = route(kind="partenariat", ministry="spm", product=justice_product)
    assert username(routing) == "pierre.boussole"
    assert (
        routing.reason
        == "attribuée à Pierre Boussole : portefeuille Justice, ministère Justice, produit Justice pour tous"
    )


def test_partenariat_without_any_portfolio_falls_back_to_the_direction(organisation):
    routing = route(kind="partenariat", ministry="spm")
    assert username(routing) == "igor.balise"
    assert routing.pole.slug == "direction"
    assert routing.reason == (
        f"attribuée à Igor Balise : aucun portefeuille ne couvre ce périmètre : {DIRECTION} prend le relais, "
        "ministère Services du Premier ministre"
    )


def test_convention_goes_to_the_operations_lead_with_the_portfolio_manager_in_copy(justice_product):
    routing = route(kind="convention-devis-service-fait", product=justice_product)
    assert username(routing) == "emilie.grenat"
    assert routing.pole.slug == "direction"
    assert [u.username for u in routing.copied] == ["pierre.boussole"]
    assert routing.reason == (
        "attribuée à Emilie Grenat : responsable des opérations, portefeuille Justice, ministère Justice, "
        "produit Justice pour tous, Pierre Boussole en copie (portefeuille Justice)"
    )


def test_convention_copy_lands_on_the_ticket(cast):
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="convention-devis-service-fait",
        subject="Convention bloquée",
        body="La convention attend une signature.",
        product=cast.product,
    )
    assert ticket.assignee == person("emilie.grenat")
    assert list(ticket.copied.all()) == [person("pierre.boussole")]


def test_convention_without_a_product_has_nobody_in_copy(organisation):
    routing = route(kind="convention-devis-service-fait")
    assert username(routing) == "emilie.grenat"
    assert routing.copied == []
    assert routing.reason == "attribuée à Emilie Grenat : responsable des opérations"


def test_administratif_marches_goes_to_the_operations_lead(justice_product):
    routing = route(kind="administratif-marches", product=justice_product)
    assert username(routing) == "emilie.grenat"
    assert routing.copied == []


@pytest.mark.parametrize("topic", ["acceleration", "gamma", "refinancement"])
def test_soutien_acceleration_topics_go_to_the_pole_acceleration(justice_product, topic):
    routing = route(kind="soutien-dinum", topic=topic, product=justice_product)
    assert username(routing) == "pierre.boussole"  # the lead of the Pôle Accélération
    assert routing.pole.slug == "acceleration"


def test_soutien_acceleration_reason_names_the_pole_and_the_topic(justice_product):
    routing = route(kind="soutien-dinum", topic="gamma", product=justice_product)
    assert routing.reason == (
        f"attribuée à Pierre Boussole : {ACCELERATION}, sujet « Programme Gamma », portefeuille Justice, "
        "ministère Justice, produit Justice pour tous"
    )


def test_soutien_acceleration_topic_goes_to_the_pole_whatever_the_portfolio(organisation):
    work = product("Emploi Facile", sponsors=["travail"])
    assert username(route(kind="soutien-dinum", topic="refinancement", product=work)) == "pierre.boussole"


def test_soutien_aide_transverse_goes_to_the_pole_animation(justice_product):
    routing = route(kind="soutien-dinum", topic="aide-transverse", product=justice_product)
    assert username(routing) == "bastien.d.dolomie"
    assert routing.pole.slug == "animation"


@pytest.mark.parametrize("topic", ["autonomie", "deblocage"])
def test_soutien_autonomie_and_deblocage_go_to_the_portfolio_manager(organisation, topic):
    work = product("Emploi Facile", sponsors=["travail"])
    routing = route(kind="soutien-dinum", topic=topic, product=work)
    assert username(routing) == "yasmine.mimosa"
    assert routing.pole.slug == "partenariats"


def test_soutien_deblocage_without_a_portfolio_falls_back_to_the_direction(organisation):
    routing = route(kind="soutien-dinum", topic="deblocage")
    assert username(routing) == "igor.balise"


@pytest.mark.parametrize("kind", ["mal-etre", "signalement"])
def test_confidential_kinds_go_to_the_chosen_person(justice_product, kind):
    chosen = person("eva.sorbier")
    routing = route(kind=kind, product=justice_product, recipient=chosen)
    assert routing.assignee == chosen
    assert routing.copied == []
    # Nothing about the product or the portfolio in the reason: only the requester's choice.
    assert routing.reason == "attribuée à Eva Sorbier : personne choisie par l'auteur de la demande"


def test_communaute_goes_to_the_pole_animation(organisation):
    routing = route(kind="communaute")
    assert username(routing) == "bastien.d.dolomie"
    assert routing.reason == f"attribuée à Bastien Dolomie : {ANIMATION}"


def test_autre_goes_to_the_direction(justice_product):
    routing = route(kind="autre", product=justice_product)
    assert username(routing) == "igor.balise"
    assert routing.pole.slug == "direction"


# --- The product's perimeter: themes before ministries, sponsors in order, then the incubator -----------


def test_a_theme_of_one_portfolio_beats_a_sponsor_ministry_of_another(organisation):
    mixed = product("Santé Justice", themes=["Santé"], sponsors=["justice"])
    routing = route(kind="doute-produit", product=mixed)
    assert username(routing) == "eline.le-brizec"
    assert routing.reason == (
        "attribuée à Eline Le Brizec : portefeuille Santé, Solidarités, Cybersécurité et IA, thématique Santé, "
        "produit Santé Justice"
    )


def test_themes_match_whatever_the_case_and_accents(organisation):
    eco = product("Vert", themes=["ecologie"], sponsors=["justice"])
    assert username(route(kind="doute-produit", product=eco)) == "marion.sapin"


def test_an_unknown_theme_lets_the_ministry_decide(organisation):
    other = product("Autre Thème", themes=["Astronomie"], sponsors=["interieur"])
    assert username(route(kind="doute-produit", product=other)) == "theo.dolmen"


def test_sponsors_count_in_their_order(organisation):
    both = product("Deux Sponsors", sponsors=["interieur", "justice"])
    assert username(route(kind="doute-produit", product=both)) == "theo.dolmen"
    reversed_ = product("Sponsors Inverses", sponsors=["justice", "interieur"])
    assert username(route(kind="doute-produit", product=reversed_)) == "pierre.boussole"


def test_without_sponsor_the_incubators_owner_decides(organisation):
    incubated = product("Incubé", incubator_ministry="environnement")
    routing = route(kind="doute-produit", product=incubated)
    assert username(routing) == "marion.sapin"
    assert "ministère Transition écologique" in routing.reason


# --- Fallbacks ------------------------------------------------------------------------------------


def test_a_portfolio_without_manager_falls_back_to_the_rules_pole(justice_product):
    with transaction.atomic():
        organisation_services.portfolio_set_manager(
            portfolio=Portfolio.objects.get(slug="justice"), manager=None, by=None
        )
    routing = route(kind="doute-produit", product=justice_product)
    assert username(routing) == "gael.ivoire"
    assert routing.portfolio.slug == "justice"
    assert routing.reason == (
        f"attribuée à Gaël Ivoire : le portefeuille Justice n'a pas de responsable : {COACHING} prend le relais, "
        "portefeuille Justice, ministère Justice, produit Justice pour tous"
    )
    # The copy of a convention needs a manager too: nobody is copied.
    assert route(kind="convention-devis-service-fait", product=justice_product).copied == []


def _end_lead(slug):
    position = Position.objects.current().get(pole__slug=slug, is_lead=True)
    with transaction.atomic():
        organisation_services.position_end(position=position, by=None)


def test_a_pole_without_lead_falls_back_to_the_direction(justice_product):
    _end_lead("acceleration")
    routing = route(kind="soutien-dinum", topic="acceleration", product=justice_product)
    assert username(routing) == "igor.balise"
    assert routing.pole.slug == "direction"
    assert routing.reason.startswith(
        f"attribuée à Igor Balise : {ACCELERATION} n'a ni référent du guichet ni responsable : "
        f"{DIRECTION} prend le relais"
    )


def test_when_the_rules_fallback_pole_has_nobody_the_departments_takes_over(organisation):
    _end_lead("coaching")
    routing = route(kind="doute-produit")
    assert username(routing) == "igor.balise"
    assert routing.reason == f"attribuée à Igor Balise : aucun périmètre indiqué : {DIRECTION} prend le relais"


def test_nobody_at_all_leaves_the_request_to_be_assigned(organisation):
    _end_lead("animation")
    _end_lead("direction")
    routing = route(kind="communaute")
    assert routing.assignee is None
    assert routing.reason == f"à attribuer : {ANIMATION} n'a ni référent du guichet ni responsable"


def test_a_pole_referent_wins_over_its_lead(justice_product):
    acceleration = Pole.objects.get(slug="acceleration")
    acceleration.guichet_assignee = person("antoine.rivage")
    acceleration.save()
    routing = route(kind="soutien-dinum", topic="gamma", product=justice_product)
    assert username(routing) == "antoine.rivage"
    assert routing.pole == acceleration
    # The referent also receives what falls back to their pole.
    coaching = Pole.objects.get(slug="coaching")
    coaching.guichet_assignee = person("albert.lanterne")
    coaching.save()
    assert username(route(kind="doute-produit")) == "albert.lanterne"


def test_operations_lead_missing_falls_back_to_the_direction(organisation):
    from incubateur.organisation.models import Department

    Department.objects.update(operations_lead=None)
    routing = route(kind="administratif-marches")
    assert username(routing) == "igor.balise"
    assert routing.reason == (
        f"attribuée à Igor Balise : pas de responsable des opérations : {DIRECTION} prend le relais"
    )


def test_a_kind_without_any_rule_is_left_to_be_assigned(organisation):
    RoutingRule.objects.filter(kind="autre").delete()
    routing = route(kind="autre")
    assert routing.assignee is None
    assert routing.rule is None
    assert routing.reason == "à attribuer : aucune règle de routage pour ce type de demande"


# --- Precedence of the rules staff add ------------------------------------------------------------


def test_the_most_specific_rule_wins(justice_product):
    justice = Portfolio.objects.get(slug="justice")
    # The defaults: soutien-dinum (kind) → portfolio manager; soutien-dinum + gamma (kind+topic) → acceleration.
    RoutingRule.objects.create(
        kind="soutien-dinum", portfolio=justice, target=RoutingRule.Target.PERSON, person=person("jules.dentelle")
    )
    RoutingRule.objects.create(
        kind="soutien-dinum",
        topic="gamma",
        portfolio=justice,
        target=RoutingRule.Target.PERSON,
        person=person("aubin.houblon"),
    )
    RoutingRule.objects.filter(kind="soutien-dinum", topic="deblocage").delete()
    work = product("Emploi Facile", sponsors=["travail"])

    # kind + topic + portfolio
    assert username(route(kind="soutien-dinum", topic="gamma", product=justice_product)) == "aubin.houblon"
    # kind + topic beats kind + portfolio
    assert username(route(kind="soutien-dinum", topic="acceleration", product=justice_product)) == "pierre.boussole"
    # kind + portfolio beats kind
    routing = route(kind="soutien-dinum", topic="deblocage", product=justice_product)
    assert username(routing) == "jules.dentelle"
    assert routing.reason == (
        "attribuée à Jules Dentelle : règle de routage, portefeuille Justice, ministère Justice, "
        "produit Justice pour tous"
    )
    # A portfolio's rules do not apply to another portfolio.
    assert username(route(kind="soutien-dinum", topic="gamma", product=work)) == "pierre.boussole"
    assert username(route(kind="soutien-dinum", topic="deblocage", product=work)) == "yasmine.mimosa"
    # Nor to a request without portfolio.
    assert username(route(kind="soutien-dinum", topic="deblocage")) == "igor.balise"


def test_a_portfolio_rule_can_send_a_kind_to_a_pole(justice_product):
    RoutingRule.objects.create(
        kind="doute-produit",
        portfolio=Portfolio.objects.get(slug="justice"),
        target=RoutingRule.Target.POLE,
        pole=Pole.objects.get(slug="coaching"),
    )
    routing = route(kind="doute-produit", product=justice_product)
    assert username(routing) == "gael.ivoire"
    assert routing.reason == (
        f"attribuée à Gaël Ivoire : {COACHING}, portefeuille Justice, ministère Justice, produit Justice pour tous"
    )


# --- The default table ----------------------------------------------------------------------------


def test_load_routing_seeds_the_table_of_the_issue(organisation):
    rows = {
        (rule.kind, rule.topic): (rule.target, rule.pole.slug if rule.pole else None)
        for rule in RoutingRule.objects.select_related("pole")
    }
    assert rows == {
        ("doute-produit", ""): ("portefeuille", None),
        ("partenariat", ""): ("portefeuille", None),
        ("convention-devis-service-fait", ""): ("operations", None),
        ("administratif-marches", ""): ("operations", None),
        ("soutien-dinum", ""): ("portefeuille", None),
        ("soutien-dinum", "acceleration"): ("pole", "acceleration"),
        ("soutien-dinum", "gamma"): ("pole", "acceleration"),
        ("soutien-dinum", "refinancement"): ("pole", "acceleration"),
        ("soutien-dinum", "aide-transverse"): ("pole", "animation"),
        ("soutien-dinum", "autonomie"): ("portefeuille", None),
        ("soutien-dinum", "deblocage"): ("portefeuille", None),
        ("mal-etre", ""): ("choix", None),
        ("communaute", ""): ("pole", "animation"),
        ("signalement", ""): ("choix", None),
        ("autre", ""): ("pole", "direction"),
    }
    assert RoutingRule.objects.get(kind="doute-produit").fallback_pole.slug == "coaching"
    assert RoutingRule.objects.get(kind="convention-devis-service-fait").copy_portfolio_manager


def test_load_routing_is_idempotent_and_keeps_what_staff_changed(organisation):
    assert RoutingRule.objects.count() == len(DEFAULT_RULES)
    RoutingRule.objects.filter(kind="autre").update(target=RoutingRule.Target.OPERATIONS_LEAD)
    out = StringIO()
    call_command("load_routing", stdout=out)
    assert out.getvalue().strip() == "0 règle de routage créée."
    assert RoutingRule.objects.count() == len(DEFAULT_RULES)
    assert RoutingRule.objects.get(kind="autre").target == RoutingRule.Target.OPERATIONS_LEAD
    # A deleted default comes back; the others are left alone.
    RoutingRule.objects.filter(kind="communaute").delete()
    assert load_default_rules() == 1
    assert RoutingRule.objects.count() == len(DEFAULT_RULES)


def test_load_routing_if_empty_does_nothing_once_a_rule_exists(organisation):
    RoutingRule.objects.exclude(kind="autre").delete()
    out = StringIO()
    call_command("load_routing", "--if-empty", stdout=out)
    assert out.getvalue().strip() == "Routage déjà présent : rien à faire."
    assert RoutingRule.objects.count() == 1


def test_reloading_the_organisation_keeps_the_routing_working(justice_product):
    load_organisation(routing=True)
    assert RoutingRule.objects.count() == len(DEFAULT_RULES)
    assert username(route(kind="doute-produit", product=justice_product)) == "pierre.boussole"


def test_load_routing_before_the_organisation_skips_the_pole_rules():
    # No poles yet: the rules that name a pole cannot be made (and nothing fails).
    created = load_default_rules()
    assert created == len([spec for spec in DEFAULT_RULES if spec["target"] != RoutingRule.Target.POLE])
    assert not RoutingRule.objects.filter(target=RoutingRule.Target.POLE).exists()


def test_someone_who_left_the_incubator_is_never_handed_a_request(justice_product):
    from incubateur.organisation.models import Department
    from tests.factories import UserFactory

    # A referent who is not (or no longer) Incubator staff: the pole's lead receives instead.
    acceleration = Pole.objects.get(slug="acceleration")
    acceleration.guichet_assignee = UserFactory(username="ancien.referent")
    acceleration.save()
    assert username(route(kind="soutien-dinum", topic="gamma", product=justice_product)) == "pierre.boussole"
    # An operations lead whose account was closed: the direction takes over.
    Department.objects.update(operations_lead=UserFactory(username="ancienne.pmo", staff=True, inactive=True))
    routing = route(kind="convention-devis-service-fait", product=justice_product)
    assert username(routing) == "igor.balise"
    assert [u.username for u in routing.copied] == ["pierre.boussole"]
    # A rule naming a person who left.
    RoutingRule.objects.filter(kind="autre").update(
        target=RoutingRule.Target.PERSON, pole=None, person=UserFactory(username="parti.ailleurs", first_name="Parti")
    )
    routing = route(kind="autre")
    assert username(routing) == "igor.balise"
    assert routing.reason.startswith("attribuée à Igor Balise : Parti ")
    assert routing.reason.endswith(f" ne fait plus partie de l'Incubateur : {DIRECTION} prend le relais")
