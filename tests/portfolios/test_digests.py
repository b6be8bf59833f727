"""`manage.py send_digests`: the weekly digest to each portfolio manager, through a real SMTP server. Once per ISO
week whatever the frequency cron runs it at; nothing to those with nothing overdue; never a confidential request."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from freezegun import freeze_time

# The URLs (and the API's pydantic schemas) load before any clock is frozen: under freeze_time, `datetime.date`
# is freezegun's class, which pydantic cannot describe.
import config.urls  # noqa: F401
from incubateur.guichet import services as guichet
from incubateur.portfolios import services as portfolios
from incubateur.portfolios.models import DigestSent
from incubateur.registry.models import Event
from tests.factories import person
from tests.portfolios.factories import product
from tests.registry.factories import team_member
from tests.utils import run_tasks

MONDAY = "2026-03-16 08:00:00"  # 9:00 in Paris, ISO week 2026-W12


@pytest.fixture
def clock():
    """Frozen on a Monday morning; requested first, so that the organisation is loaded that day too."""
    with freeze_time(MONDAY) as frozen:
        yield frozen


def send() -> str:
    out = StringIO()
    call_command("send_digests", stdout=out)
    run_tasks()
    return out.getvalue()


@pytest.fixture
def world(clock, organisation):
    """The Justice portfolio (Pierre Boussole) has a product whose next committee is overdue, one with no committee
    known (never overdue), a request waiting for its first answer, and a confidential request; the Logement
    portfolio (Gaël Ivoire) has nothing overdue."""
    casier = product("casier", name="Casier simplifié", ministry="justice", start=datetime.date(2025, 1, 6))
    Event.objects.create(product=casier, name="committee", date=datetime.date(2025, 6, 2))  # the next by 2 Dec.
    product("greffe", name="Greffe sans comité", ministry="justice", start=datetime.date(2025, 12, 1))
    product("loyer", name="Loyer juste", ministry="justice", themes=["Logement"], start=datetime.date(2026, 1, 5))
    member = team_member(casier, username="camille.equipe")
    pierre = person("pierre.boussole")
    late = guichet.ticket_submit(
        requester=member, kind="doute-produit", subject="Une question sans réponse", body="…", product=casier
    )
    assert late.assignee == pierre
    secret = guichet.ticket_submit(
        requester=member,
        kind="signalement",
        subject="Un signalement secret",
        body="…",
        product=casier,
        recipient=pierre,
    )
    assert secret.confidential and secret.assignee == pierre
    run_tasks()  # the guichet's own notifications, sent before the digests are looked at
    return {"late": late, "secret": secret}


def digests(smtp_server) -> list:
    return [m for m in smtp_server.messages if "synthèse de la semaine" in m["Subject"]]


def test_each_manager_with_something_overdue_gets_one_email_listing_it(world, clock, smtp_server):
    clock.move_to("2026-03-18 08:00:00")  # Wednesday: the request waits for its first answer since Tuesday
    assert send() == "1 synthèse envoyée.\n"

    [message] = digests(smtp_server)
    assert message["To"] == "pierre.boussole@beta.gouv.fr"
    assert message["Subject"].strip() == "Votre synthèse de la semaine : 2 points en retard"
    body = message.get_content()
    assert "Portefeuille Justice :" in body
    overdue = "Casier simplifié : comité d'investissement attendu avant le 2 décembre 2025 (dernier le 2 juin 2025)"
    assert f"  - {overdue}" in body
    assert "Greffe sans comité" not in body  # no committee known: nothing is due
    assert "Guichet — demandes sans première réponse dans le délai :" in body
    assert f"  - Demande {world['late'].reference} : Une question sans réponse" in body
    assert "http://testserver/equipe/portefeuilles/pierre.boussole/" in body
    # Never a confidential request, not even to the one person who may read it.
    assert "signalement" not in body.lower() and world["secret"].reference not in body
    assert "Loyer juste" not in body
    # Gaël Ivoire (Logement) has nothing overdue: no e-mail, and it is settled for the week all the same.
    assert not [m for m in smtp_server.messages if m["To"] == "gael.ivoire@beta.gouv.fr"]
    assert DigestSent.objects.get(user=person("gael.ivoire"), week="2026-W12").items == 0
    assert DigestSent.objects.get(user=person("pierre.boussole"), week="2026-W12").items == 2


def test_once_per_week_whatever_the_frequency(world, clock, smtp_server):
    clock.move_to("2026-03-18 08:00:00")
    send()
    assert len(digests(smtp_server)) == 1
    for moment in ("2026-03-18 08:05:00", "2026-03-20 16:00:00", "2026-03-22 22:30:00"):  # Sunday 23:30 in Paris
        clock.move_to(moment)
        assert send() == "0 synthèse envoyée.\n"
    assert len(digests(smtp_server)) == 1

    clock.move_to("2026-03-22 23:00:00")  # Monday 0:00 in Paris: ISO week 2026-W13
    assert send() == "1 synthèse envoyée.\n"
    assert [m["To"] for m in digests(smtp_server)] == ["pierre.boussole@beta.gouv.fr"] * 2
    assert DigestSent.objects.filter(user=person("pierre.boussole")).count() == 2
    clock.move_to("2026-03-23 10:00:00")
    send()
    assert len(digests(smtp_server)) == 2


def test_nothing_overdue_nothing_sent(clock, organisation, smtp_server):
    product("neuf", name="Produit neuf", ministry="justice", start=datetime.date(2026, 2, 2))
    assert send() == "0 synthèse envoyée.\n"
    assert digests(smtp_server) == []
    assert smtp_server.messages == []


def test_a_phase_over_its_norm_is_listed(clock, organisation, smtp_server):
    made = product("ancien", name="Produit ancien", ministry="justice", start=datetime.date(2024, 6, 3))
    portfolios.committee_record(
        product=made, actor=person("antoine.rivage"), date=datetime.date(2026, 3, 2), decision="poursuite"
    )
    send()
    [message] = digests(smtp_server)
    assert message["Subject"].strip() == "Votre synthèse de la semaine : 1 point en retard"
    assert "  - Produit ancien : en construction depuis 21 mois (repère : 18 mois)" in message.get_content()
