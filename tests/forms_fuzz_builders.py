"""How tests/test_forms_fuzz.py builds each form of the project, as its views do.

`BUILDERS` maps every concrete form class to a function of the `World` (the data the forms read, made once for
the module) returning the form's `Variant`s: one per way the views build it (a kind of request, a ticket's status,
a call still in preparation or already open…). A variant makes the form from the posted data (`None`: unbound, to
read its fields), names plausible values for some fields (`hints`: a product's identifier, an account's address…
that a generic strategy would hardly find), valid postings to start from (`valid`), and what the views read of the
form once validated (`use`).
"""

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils import timezone

from incubateur.accounts.admin import UserChangeForm, UserCreationForm
from incubateur.accounts.forms import LoginForm
from incubateur.accounts.models import User
from incubateur.core.text import date_fr
from incubateur.guichet import services as guichet
from incubateur.guichet.forms import desk as forms_desk
from incubateur.guichet.forms import mail as mail_forms
from incubateur.guichet.forms import offers as offer_forms
from incubateur.guichet.forms import requester as guichet_forms
from incubateur.guichet.forms import routing as routing_forms
from incubateur.guichet.kinds import Kind
from incubateur.guichet.models import RoutingRule, Status, Ticket
from incubateur.guichet.selectors import requester as guichet_queries
from incubateur.organisation import forms as organisation_forms
from incubateur.organisation.models import Pole, Portfolio
from incubateur.portfolios import forms as forms_board
from incubateur.programmes import services as programmes
from incubateur.programmes.forms import public as forms_public
from incubateur.programmes.forms import staff as forms_staff
from incubateur.programmes.models import (
    ApplicantType,
    Application,
    ApplicationStatus,
    Call,
    Programme,
    Question,
    QuestionType,
)
from incubateur.registry import forms as registry_forms
from incubateur.registry import perms as registry_perms
from incubateur.registry.forms import joining as joining_forms
from incubateur.registry.forms import missions as mission_forms
from incubateur.registry.models import Incubator, Member, Mission, Phase, Product
from incubateur.registry.selectors import pages as registry_pages
from incubateur.registry.services import missions as mission_services
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product, load_organisation
from tests.programmes.factories import fast_call
from tests.recruitment import forms_fuzz as recruitment_fuzz
from tests.registry.factories import team_member

Data = Any  # a QueryDict, or None for an unbound form


@dataclass
class Variant:
    label: str
    make: Callable[[Data], forms.BaseForm]
    # Plausible values of some fields (by field name, without the prefix), besides the generic ones.
    hints: dict[str, list[str]] = field(default_factory=dict)
    # What the views read of the form after `is_valid()` (called whatever the validity: it must not raise).
    use: Callable[[forms.BaseForm], object] | None = None
    # Valid postings (field name → value or values, without the prefix): the fuzzer also posts them with a few
    # fields changed, to reach the forms' cross-field rules; a test checks that they are valid.
    valid: list[dict] = field(default_factory=list)


@dataclass
class World:
    product: Product
    member: User  # in the product's active team
    outsider: User  # a community member in no team
    staff: User  # pierre.boussole, manager of the Justice portfolio
    admin: User
    current_phase: Phase
    ended_phase: Phase
    ticket: Ticket
    open_call: Call  # open since yesterday: its rules are frozen
    draft_call: Call  # in preparation: no dates yet
    application: Application
    questions: list[Question]  # one of every type (unsaved: the form only reads them)
    staff_choices: list = field(default_factory=list)


def make_world() -> World:
    load_organisation(routing=True)
    product = justice_product(repository="https://github.com/betagouv/justice")
    member = team_member(product, username="camille.membre")
    ended_phase = Phase.objects.create(
        product=product,
        name="investigation",
        start=timezone.localdate() - datetime.timedelta(days=700),
        end=timezone.localdate() - datetime.timedelta(days=365),
    )
    ticket = guichet.ticket_submit(
        requester=member,
        kind=Kind.SOUTIEN,
        topic="deblocage",
        subject="Une question",
        body="Le détail",
        product=product,
    )
    open_call = fast_call()
    draft_call = Call.objects.create(programme=Programme.objects.get(slug="fast"), title="FAST 19", number=19)
    application = programmes.application_start(call=open_call, user=member, product=product)
    questions = [
        Question(key=f"q-{kind.value}", label=f"Question ({kind.label})", type=kind, required=index % 2 == 0)
        for index, kind in enumerate(QuestionType)
    ]
    for question in questions:
        if question.type == QuestionType.CHOICE:
            question.choices = ["Oui", "Non", "Peut-être"]
    return World(
        product=product,
        member=member,
        outsider=UserFactory(username="alex.exterieur"),
        staff=person("pierre.boussole"),
        admin=UserFactory(username="admin.site", admin=True),
        current_phase=product.phases.get(end=None),
        ended_phase=ended_phase,
        ticket=ticket,
        open_call=open_call,
        draft_call=draft_call,
        application=application,
        questions=questions,
        staff_choices=guichet_queries.current_staff(),
    )


def _valid_after(accessor: Callable[[Any], object]) -> Callable[[forms.BaseForm], object]:
    """An accessor the views call only on a valid form."""
    return lambda form: accessor(form) if form.is_valid() else None


def plain(form_class, *valid: dict) -> Callable[[World], list[Variant]]:
    """A form made from the posted data alone."""
    return lambda w: [Variant(form_class.__name__, form_class, valid=list(valid))]


# --- accounts -----------------------------------------------------------------------------------------------------


def login_form(w: World) -> list[Variant]:
    return [
        Variant(
            "login",
            LoginForm,
            hints={"email": [w.member.email, w.member.email.upper()]},
            valid=[{"email": w.member.email}],
        )
    ]


def user_creation_form(w: World) -> list[Variant]:
    return [
        Variant(
            "admin add",
            UserCreationForm,
            hints={
                "email": [w.member.email, "nouvelle.personne@beta.gouv.fr"],
                "username": [w.member.username, "nouvelle.personne"],
            },
            valid=[
                {
                    "email": "nouvelle.personne@beta.gouv.fr",
                    "username": "nouvelle.personne",
                    "first_name": "Nouvelle",
                    "last_name": "Personne",
                }
            ],
        )
    ]


def user_change_form(w: World) -> list[Variant]:
    return [
        Variant(
            "admin change",
            # A fresh instance each time: a ModelForm's validation writes the posted values on it.
            lambda data: UserChangeForm(data, instance=User.objects.get(pk=w.member.pk)),
            hints={"email": [w.member.email, w.staff.email], "username": [w.member.username, w.staff.username]},
            valid=[
                {
                    "email": w.member.email,
                    "username": w.member.username,
                    "first_name": "Camille",
                    "last_name": "Membre",
                    "is_active": "on",
                    "date_joined": "2024-01-15 10:00:00",
                }
            ],
        )
    ]


# --- organisation -------------------------------------------------------------------------------------------------


def portfolio_manager_form(w: World) -> list[Variant]:
    return [
        Variant(
            "manager",
            lambda data: organisation_forms.PortfolioManagerForm(data, initial={"manager": w.staff}),
            valid=[{"manager": str(w.staff.pk)}, {"manager": ""}],
        )
    ]


def position_form(w: World) -> list[Variant]:
    return [
        Variant(
            "position",
            organisation_forms.PositionForm,
            valid=[{"person": str(w.staff.pk), "title": "Chargée de mission", "is_lead": "on"}],
        )
    ]


# --- registry -----------------------------------------------------------------------------------------------------


def product_filter_form(w: World) -> list[Variant]:
    return [
        Variant(
            "filters",
            lambda data: registry_forms.ProductFilterForm(data, choices=registry_pages.filter_choices()),
            use=lambda form: form.filters(),
            valid=[{"q": "justice", "phase": "construction", "ministere": "justice"}],
        )
    ]


def product_form(w: World) -> list[Variant]:
    lists = ["Justice, accès au droit", "a, A, á ,,", "  "]
    return [
        Variant(
            "edit product",
            lambda data: registry_forms.ProductForm(data, initial=registry_forms.ProductForm.initial_for(w.product)),
            hints={"thematiques": lists, "usertypes": lists, "techno": lists, "contact": ["equipe@beta.gouv.fr"]},
            valid=[
                {
                    "pitch": "Simplifier une démarche\r\npour tous",
                    "link": "https://exemple.beta.gouv.fr",
                    "repository": "github.com/betagouv/justice",
                    "thematiques": "Justice, accès au droit",
                    "contact": "equipe@beta.gouv.fr",
                }
            ],
        )
    ]


def member_form(w: World) -> list[Variant]:
    github = ["camille-martin", "@camille", "https://github.com/camille/", "github.com/a-b", "-x", "a" * 40]
    return [
        Variant(
            "edit member",
            registry_forms.MemberForm,
            hints={"github": github, "competences": ["Python, Django", "a,,b"]},
            valid=[{"role": "Développeuse", "github": "camille-martin", "competences": "Python, Django"}],
        )
    ]


def phase_add_form(w: World) -> list[Variant]:
    phases = [w.current_phase, w.ended_phase]
    return [
        Variant(
            "add phase",
            lambda data: registry_forms.PhaseAddForm(data, phases=phases, prefix="ajout"),
            valid=[{"name": "acceleration", "start": "2025-01-15", "comment": "Comité du 15 janvier"}],
        )
    ]


def phase_end_form(w: World) -> list[Variant]:
    return [
        Variant(
            label,
            lambda data, phase=phase: registry_forms.PhaseEndForm(data, phase=phase, prefix="fin"),
            valid=valid,
        )
        for label, phase, valid in [
            ("current", w.current_phase, [{"end": timezone.localdate().isoformat()}]),
            ("ended", w.ended_phase, []),  # always refused: no phase to end
            ("none", None, []),
        ]
    ]


# --- registry: missions (#14) ---------------------------------------------------------------------------------------


def _mission(w: World) -> Mission:
    """The member's mission running on the product (made by `team_member`), with its products, as the views read
    it."""
    return (
        Mission.objects.select_related("member__user")
        .prefetch_related("missionproduct_set__product")
        .filter(member__user=w.member)
        .order_by("pk")
        .first()
    )


def _mission_variants(w: World) -> list[tuple[str, Mission]]:
    """The member's running mission, the same already ended, and the same without an end (unsaved copies: the
    forms only read them)."""
    mission = _mission(w)
    ended = copy.copy(mission)
    ended.end = timezone.localdate() - datetime.timedelta(days=30)
    open_ended = copy.copy(mission)
    open_ended.end = None
    return [("running", mission), ("ended", ended), ("no end", open_ended)]


def _dates(*dates: datetime.date | None) -> list[str]:
    return [date.isoformat() for date in dates if date is not None]


def mission_form(w: World) -> list[Variant]:
    member = Member.objects.get(user=w.member)
    mission = _mission(w)
    today = timezone.localdate()
    limit = mission_services.latest_end()
    hints = {
        "start": _dates(today, mission.start),
        "end": _dates(today, limit, limit + datetime.timedelta(days=1), mission.end),
        "products": [w.product.ghid, "inconnu"],
        "employer": ["Scopyleft", "  "],
    }
    valid = [
        {
            "start": (today - datetime.timedelta(days=10)).isoformat(),
            "end": (today + datetime.timedelta(days=60)).isoformat(),
            "status": "independent",
            "employer": "Scopyleft",
            "products": [w.product.ghid],
        },
        {"start": today.isoformat(), "status": "admin"},
    ]
    use = _valid_after(lambda form: form.values())
    return [
        Variant("add", lambda data: mission_forms.MissionForm(data, member=member), hints=hints, use=use, valid=valid),
        Variant(
            "edit",
            lambda data: mission_forms.MissionForm(
                data, member=member, initial=mission_forms.MissionForm.initial_for(mission)
            ),
            hints=hints,
            use=use,
            valid=valid,
        ),
    ]


def mission_extend_form(w: World) -> list[Variant]:
    variants = []
    for label, mission in _mission_variants(w):
        proposal = mission_services.proposed_extension(w.member, mission)
        variants.append(
            Variant(
                label,
                lambda data, proposal=proposal: mission_forms.MissionExtendForm(data, initial={"end": proposal}),
                hints={"end": _dates(proposal, mission.end, timezone.localdate())},
                use=_valid_after(lambda form: date_fr(form.cleaned_data["end"])),
                valid=[{"end": proposal.isoformat()}] if proposal else [],
            )
        )
    return variants


def mission_end_form(w: World) -> list[Variant]:
    today = timezone.localdate()
    variants = []
    for label, mission in _mission_variants(w):
        initial = {"end": min(today, mission.end) if mission.end else today}
        variants.append(
            Variant(
                label,
                lambda data, initial=initial: mission_forms.MissionEndForm(data, initial=initial),
                hints={"end": _dates(today, mission.start, mission.end)},
                use=_valid_after(lambda form: date_fr(form.cleaned_data["end"])),
                valid=[{"end": initial["end"].isoformat()}],
            )
        )
    return variants


# --- registry: joining (#14) --------------------------------------------------------------------------------------


def member_propose_form(w: World) -> list[Variant]:
    today = timezone.localdate()
    valid = {
        "product": w.product.ghid,
        "first_name": "Dominique",
        "last_name": "Durand",
        "email": "dominique.durand@beta.gouv.fr",
        "domaine": "Design",
        "role": "Designer",
        "start": today.isoformat(),
        "end": (today + datetime.timedelta(days=90)).isoformat(),
        "status": "independent",
        "employer": "",
    }
    hints = {
        "product": [w.product.ghid, "inconnu"],
        "email": [w.member.email, "dominique.durand@beta.gouv.fr"],
        "start": _dates(today),
        "end": _dates(today, mission_services.latest_end()),
    }
    variants = []
    for label, user, initial in [
        ("member", w.member, {}),
        ("member, ?produit=", w.member, {"product": w.product.ghid}),
        ("staff", w.staff, {}),
        ("outsider", w.outsider, {}),  # in no team: no product to propose a member to
    ]:
        products = registry_perms.products_open_to_proposals(user).only("pk", "ghid", "name").order_by("name")
        variants.append(
            Variant(
                label,
                lambda data, products=products, initial=initial: joining_forms.MemberProposeForm(
                    data, initial=initial, products=products
                ),
                hints=hints,
                # The view passes the rest of cleaned_data to the service as keyword arguments.
                use=_valid_after(lambda form: (form.cleaned_data["product"].name, dict(form.cleaned_data))),
                valid=[valid, {**valid, "end": "", "status": "admin"}] if products.exists() else [],
            )
        )
    return variants


def product_propose_form(w: World) -> list[Variant]:
    incubator = Incubator.objects.filter(productincubator__product=w.product).order_by("pk").first()
    sponsor = w.product.productsponsor_set.order_by("order").first().organisation
    return [
        Variant(
            "propose",
            joining_forms.ProductProposeForm,
            hints={
                "incubator": [incubator.ghid, "inconnu"],
                "sponsors": [sponsor.ghid, "inconnue"],
                "phase_start": _dates(timezone.localdate()),
            },
            use=_valid_after(lambda form: list(form.cleaned_data["sponsors"])),
            valid=[
                {
                    "name": "Un nouveau produit",
                    "pitch": "Simplifier une démarche\r\npour tous",
                    "incubator": incubator.ghid,
                    "sponsors": [sponsor.ghid],
                    "phase": "investigation",
                    "phase_start": timezone.localdate().isoformat(),
                },
                {
                    "name": "Autre produit",
                    "pitch": "Une mission",
                    "incubator": incubator.ghid,
                    "phase": "construction",
                    "phase_start": "2025-01-15",
                },
            ],
        )
    ]


def review_decide_form(w: World) -> list[Variant]:
    return [
        Variant(
            "decide",
            joining_forms.ReviewDecideForm,
            # The view checks that a refusal has a reason.
            use=_valid_after(lambda form: (form.cleaned_data["decision"], form.cleaned_data["reason"].strip())),
            valid=[{"decision": "valider"}, {"decision": "refuser", "reason": "Ce produit existe déjà"}],
        )
    ]


# --- guichet: requester pages and the request page ----------------------------------------------------------------


def ticket_form(w: World) -> list[Variant]:
    variants = []
    for kind in Kind:
        for who, user in [("member", w.member), ("outsider", w.outsider), ("staff", w.staff)]:
            fields = guichet_forms.TicketForm(kind=kind.value, user=user).fields
            recipient = next(choice.user for choice in w.staff_choices if choice.user.pk != user.pk)
            plain_request = {
                "subject": "Une question",
                "body": "Le contexte\r\net la demande",
                "idempotency_key": "k1",
            }
            if "topic" in fields:
                plain_request["topic"] = "deblocage"
            if "product" in fields:
                plain_request["product"] = str(w.product.pk)
            if "ministry" in fields:
                plain_request["ministry"] = "justice"
            confidential = dict(plain_request, recipient=str(recipient.pk))
            if "confidential" in fields:
                confidential["confidential"] = "on"
            variants.append(
                Variant(
                    f"{kind.value} by {who}",
                    lambda data, kind=kind, user=user: guichet_forms.TicketForm(data, kind=kind.value, user=user),
                    use=_valid_after(lambda form: form.submission()),
                    valid=[confidential] if fields["recipient"].required else [plain_request, confidential],
                )
            )
    return variants


def reply_form(w: World) -> list[Variant]:
    return [
        Variant(
            f"note {note}",
            lambda data, note=note: guichet_forms.ReplyForm(data, can_write_note=note),
            valid=[{"body": "Merci", "internal": "on"} if note else {"body": "Merci"}],
        )
        for note in (True, False)
    ]


def guichet_status_form(w: World) -> list[Variant]:
    variants = []
    for status in Status:
        ticket = copy.copy(w.ticket)
        ticket.status = status
        for handler, requester in [(True, False), (False, True), (True, True)]:
            statuses = ticket.next_statuses(handler=handler, requester=requester)
            variants.append(
                Variant(
                    f"{status.value} handler={handler} requester={requester}",
                    lambda data, ticket=ticket, statuses=statuses, requester=requester and not handler: (
                        guichet_forms.StatusForm(data, ticket=ticket, statuses=statuses, requester=requester)
                    ),
                    hints={"version": [str(w.ticket.version), "1", "0"]},
                    use=lambda form, ticket=ticket: form.is_stale(ticket),
                    valid=[{"version": str(w.ticket.version), "status": status} for status in statuses[:1]],
                )
            )
    return variants


def assign_form(w: World) -> list[Variant]:
    pole = Pole.objects.order_by("pk").first()
    return [
        Variant(
            "assign",
            lambda data: guichet_forms.AssignForm(data, ticket=w.ticket, staff=w.staff_choices),
            hints={"version": [str(w.ticket.version)]},
            use=lambda form: form.is_stale(w.ticket),
            valid=[
                {"version": str(w.ticket.version), "assignee": str(w.staff.pk)},
                {"version": str(w.ticket.version), "pole": str(pole.pk)},
            ],
        )
    ]


def participant_form(w: World) -> list[Variant]:
    return [
        Variant(
            "add",
            lambda data: guichet_forms.ParticipantForm(data, staff=w.staff_choices),
            valid=[{"user": str(w.staff.pk)}],
        )
    ]


# --- guichet: staff pages -----------------------------------------------------------------------------------------


def desk_filter_form(w: World) -> list[Variant]:
    return [
        Variant(
            "desk",
            lambda data: forms_desk.DeskFilterForm(data, poles=guichet_queries.poles()),
            hints={"produit": [w.product.ghid, "inconnu"]},
            use=lambda form: form.values(),
            valid=[{"q": "justice", "type": "autre", "statut": "nouveau", "produit": w.product.ghid}],
        )
    ]


def mail_qualify_form(w: World) -> list[Variant]:
    """Staff turn a mail held for triage into a request (guichet/views/mail.py): the form reads the posted data; the
    view reads `cleaned_data`."""
    return [
        Variant(
            "held mail",
            lambda data: mail_forms.MailQualifyForm(data, initial={"requester": "x@example.org", "subject": "Objet"}),
            hints={
                "requester": [w.member.email, w.member.username, w.outsider.email, "x@y.z"],
                "product": [w.product.ghid, "rdv.mjd", "inconnu"],
            },
            use=lambda form: dict(form.cleaned_data),
            valid=[
                {
                    "requester": w.member.email,
                    "kind": "autre",
                    "subject": "Reçu par e-mail",
                    "body": "Le texte du courriel",
                    "product": w.product.ghid,
                },
                {"requester": w.member.username, "kind": "autre", "subject": "Objet", "body": "Texte"},
            ],
        )
    ]


def on_behalf_form(w: World) -> list[Variant]:
    return [
        Variant(
            "on behalf",
            forms_desk.OnBehalfForm,
            hints={
                "requester": [w.member.email, w.member.email.upper(), w.member.username, w.outsider.username, "x@y.z"],
                "product": [w.product.ghid, "inconnu"],
            },
            use=lambda form: (form.requester_products(), form.is_valid() and form.submission()),
            valid=[
                {
                    "requester": w.member.email,
                    "channel": "telephone",
                    "kind": "soutien-dinum",
                    "topic": "deblocage",
                    "subject": "Une question",
                    "body": "Le détail",
                    "product": w.product.ghid,
                    "idempotency_key": "cle-1",
                },
                {
                    "requester": w.member.username,
                    "channel": "rencontre",
                    "kind": "mal-etre",
                    "subject": "Une question",
                    "body": "Le détail",
                    "confidential": "on",
                    "recipient": str(w.staff.pk),
                    "idempotency_key": "cle-2",
                },
            ],
        )
    ]


def offer_form(w: World) -> list[Variant]:
    return [
        Variant(
            "offer",
            offer_forms.OfferForm,
            hints={"product": [w.product.ghid, "inconnu"]},
            valid=[{"product": w.product.ghid, "topic": "Design", "message": "Un coup de main ?"}],
        )
    ]


def routing_rule_form(w: World) -> list[Variant]:
    rule = RoutingRule.objects.filter(portfolio=None, topic="", target=RoutingRule.Target.POLE).order_by("pk").first()
    taken = RoutingRule.objects.filter(kind=Kind.AUTRE, portfolio__isnull=False).values("portfolio")
    portfolio = Portfolio.objects.exclude(pk__in=taken).order_by("pk").first()
    pole = Pole.objects.order_by("pk").first()
    return [
        Variant(
            "new",
            routing_forms.RoutingRuleForm,
            valid=[
                {"kind": "autre", "portfolio": str(portfolio.pk), "target": "pole", "pole": str(pole.pk)},
                {"kind": "autre", "portfolio": str(portfolio.pk), "target": "personne", "person": str(w.staff.pk)},
            ],
        ),
        Variant(
            "edit",
            # A fresh instance each time: a ModelForm's validation writes the posted values on it.
            lambda data: routing_forms.RoutingRuleForm(data, instance=RoutingRule.objects.get(pk=rule.pk)),
            valid=[
                {
                    "kind": rule.kind,
                    "target": rule.target,
                    "pole": str(rule.pole_id),
                    "copy_portfolio_manager": "on",
                    "fallback_pole": str(pole.pk),
                }
            ],
        ),
    ]


# --- programmes ---------------------------------------------------------------------------------------------------


def committee_form(w: World) -> list[Variant]:
    return [
        Variant(
            "committee",
            lambda data: forms_board.CommitteeForm(data, initial={"date": timezone.localdate()}),
            hints={"date": [timezone.localdate().isoformat(), "2024-06-30"]},
            valid=[
                {
                    "date": "2025-06-30",
                    "decision": "poursuite",
                    "phase": "acceleration",
                    "budget_requested": "400000",
                    "budget_granted": "350000",
                    "attendees": "Camille, intra\r\nDominique, sponsor",
                    "deck_url": "https://exemple.beta.gouv.fr/comite.pdf",
                    "comment": "Bon comité",
                },
                {"date": "2025-06-30", "decision": "arret"},
            ],
        )
    ]


def product_apply_form(w: World) -> list[Variant]:
    return [
        Variant(
            label,
            lambda data, products=products: forms_public.ProductApplyForm(data, products=products),
            use=_valid_after(lambda form: form.chosen()),
            valid=[{"product": str(product.pk)} for product in products],
        )
        for label, products in [("one product", [w.product]), ("no product", [])]
    ]


def name_apply_form(w: World) -> list[Variant]:
    variants = []
    for applicant_type in ApplicantType:
        call = copy.copy(w.open_call)
        call.applicant_type = applicant_type
        variants.append(
            Variant(
                applicant_type.value,
                lambda data, call=call: forms_public.NameApplyForm(data, call=call),
                valid=[{"applicant_name": "Direction générale des Finances"}],
            )
        )
    return variants


ANSWER_HINTS = {
    QuestionType.TEXT: ["Une réponse"],
    QuestionType.LONG_TEXT: ["Une réponse\r\nsur deux lignes"],
    QuestionType.NUMBER: ["12", "12,5", "-3", "1e3", "1e999999999"],
    QuestionType.MONEY: ["120 000 €", "120000", "12,50", "1e12", "1e13"],
    QuestionType.DATE: ["2026-03-01", "01/03/2026", "31/02/2026"],
    QuestionType.CHOICE: ["Oui", "Non", "Autre"],
    QuestionType.URL: ["https://exemple.beta.gouv.fr", "exemple.beta.gouv.fr"],
    QuestionType.FILE_LINK: ["https://exemple.beta.gouv.fr/fichier.pdf"],
}


def application_form(w: World) -> list[Variant]:
    saved = list(w.open_call.questions.all())
    hints = {forms_public.answer_field_name(q.key): ANSWER_HINTS[QuestionType(q.type)] for q in saved + w.questions}
    hints |= {
        "version": [str(w.application.version), "2"],
        "stated_budget": ["300 000 €", "500000"],
        "amount_requested": ["100 000", "150000 €"],
    }
    budget = {"version": str(w.application.version), "stated_budget": "300 000 €", "amount_requested": "100000"}
    return [
        Variant(
            label,
            lambda data, questions=questions, call=call: forms_public.ApplicationForm(
                data, call=call, questions=questions
            ),
            hints=hints,
            use=lambda form: (form.error_list(), form.is_valid() and form.draft()),
            valid=[
                {forms_public.answer_field_name(q.key): ANSWER_HINTS[QuestionType(q.type)][0] for q in questions}
                | budget
            ],
        )
        for label, call, questions in [
            ("the call's questions", w.open_call, saved),
            ("a question of every type", w.draft_call, w.questions),
        ]
    ]


def call_form(w: World) -> list[Variant]:
    hints = {"programme": [str(w.open_call.programme_id)], "number": ["18", "19", "20"]}
    valid = {
        "programme": str(w.open_call.programme_id),
        "title": "FAST 20",
        "number": "20",
        "description": "Un appel\r\nà projets",
        "opens_at": "2026-09-01T09:00",
        "closes_at": "01/10/2026 18:00",
        "applicant_type": "produit",
        "envelope": "1 000 000 €",
        "cap": "300000",
        "max_cofinancing_share": "50",
        "rules_editable": "1",
    }
    later = timezone.localtime(w.open_call.closes_at + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    return [
        Variant("new", forms_staff.CallForm, hints=hints, valid=[valid, {**valid, "opens_at": "", "closes_at": ""}]),
        Variant(
            "draft call",
            # A fresh instance each time: a ModelForm's validation writes the posted values on it.
            lambda data: forms_staff.CallForm(data, instance=Call.objects.get(pk=w.draft_call.pk)),
            hints=hints,
            valid=[{**valid, "number": "19"}],
        ),
        Variant(
            "open call",
            lambda data: forms_staff.CallForm(data, instance=Call.objects.get(pk=w.open_call.pk)),
            hints=hints | {"rules_editable": ["1", ""]},
            # The frozen fields are disabled (what is posted for them is ignored): the closing may still move.
            valid=[{"title": "FAST 18 bis", "number": "18", "closes_at": later, "rules_editable": ""}],
        ),
    ]


def question_form(w: World) -> list[Variant]:
    return [
        Variant(
            "question",
            forms_staff.QuestionForm,
            hints={"choices": ["Oui\r\nNon\n\nOui", "  "]},
            valid=[
                {"key": "budget", "label": "Votre budget ?", "type": "montant", "required": "on"},
                {"key": "choix_1", "label": "Un choix", "type": "choix", "choices": "Oui\r\nNon", "help_text": "Aide"},
            ],
        )
    ]


def eligibility_mark_form(w: World) -> list[Variant]:
    criterion = w.open_call.eligibility_criteria.order_by("order").first()
    return [
        Variant(
            "mark",
            lambda data: forms_staff.EligibilityMarkForm(data, criterion=criterion),
            use=_valid_after(lambda form: (form.verdict, form.verdict_label)),
            valid=[{"value": "oui"}, {"value": "a-verifier"}],
        )
    ]


def programmes_status_form(w: World) -> list[Variant]:
    variants = []
    for status in ApplicationStatus:
        application = copy.copy(w.application)
        application.status = status
        variants.append(
            Variant(
                status.value,
                lambda data, application=application: forms_staff.StatusForm(data, application=application),
                valid=[{"status": status, "reasons": "Les motifs"} for status in application.next_statuses()[:1]],
            )
        )
    return variants


def review_form(w: World) -> list[Variant]:
    criteria = list(w.open_call.selection_criteria.order_by("order"))
    return [
        Variant(
            "review",
            lambda data: forms_staff.ReviewForm(data, criteria=criteria),
            use=_valid_after(lambda form: form.scores()),
            valid=[{f"score_{c.pk}": str(1 + c.pk % 5) for c in criteria} | {"comment": "Solide"}],
        )
    ]


def application_filter_form(w: World) -> list[Variant]:
    return [
        Variant(
            "filter",
            lambda data: forms_staff.ApplicationFilterForm(data, counts={ApplicationStatus.SUBMITTED: 3}),
            use=lambda form: form.status(),
            valid=[{"statut": "deposee"}],
        )
    ]


BUILDERS: dict[type[forms.BaseForm], Callable[[World], list[Variant]]] = {
    # accounts
    LoginForm: login_form,
    UserCreationForm: user_creation_form,
    UserChangeForm: user_change_form,
    # organisation
    organisation_forms.SearchForm: plain(organisation_forms.SearchForm, {"q": "justice"}),
    organisation_forms.MinistryForm: plain(organisation_forms.MinistryForm, {"ministere": "justice"}),
    organisation_forms.PortfolioManagerForm: portfolio_manager_form,
    organisation_forms.PositionForm: position_form,
    # registry
    registry_forms.ProductFilterForm: product_filter_form,
    registry_forms.ProductForm: product_form,
    registry_forms.MemberForm: member_form,
    registry_forms.PhaseAddForm: phase_add_form,
    registry_forms.PhaseEndForm: phase_end_form,
    mission_forms.MissionForm: mission_form,
    mission_forms.MissionExtendForm: mission_extend_form,
    mission_forms.MissionEndForm: mission_end_form,
    joining_forms.MemberProposeForm: member_propose_form,
    joining_forms.ProductProposeForm: product_propose_form,
    joining_forms.ReviewDecideForm: review_decide_form,
    # guichet
    guichet_forms.TicketForm: ticket_form,
    guichet_forms.ReplyForm: reply_form,
    guichet_forms.StatusForm: guichet_status_form,
    guichet_forms.AssignForm: assign_form,
    guichet_forms.ParticipantForm: participant_form,
    forms_desk.DeskFilterForm: desk_filter_form,
    forms_desk.OnBehalfForm: on_behalf_form,
    mail_forms.MailQualifyForm: mail_qualify_form,
    offer_forms.OfferFilterForm: lambda w: [
        Variant("offers", offer_forms.OfferFilterForm, use=lambda form: form.status(), valid=[{"statut": "proposee"}])
    ],
    offer_forms.OfferForm: offer_form,
    offer_forms.OfferDeclineForm: plain(offer_forms.OfferDeclineForm, {"reason": "Pas maintenant"}),
    routing_forms.RoutingRuleForm: routing_rule_form,
    # programmes
    forms_board.CommitteeForm: committee_form,
    forms_public.ProductApplyForm: product_apply_form,
    forms_public.NameApplyForm: name_apply_form,
    forms_public.ApplicationForm: application_form,
    forms_staff.CallForm: call_form,
    forms_staff.QuestionForm: question_form,
    forms_staff.EligibilityForm: plain(
        forms_staff.EligibilityForm, {"label": "Code ouvert", "verification": "manuel"}
    ),
    forms_staff.CriterionForm: plain(forms_staff.CriterionForm, {"label": "Impact", "weight": "3"}),
    forms_staff.EligibilityMarkForm: eligibility_mark_form,
    forms_staff.StatusForm: programmes_status_form,
    forms_staff.ReviewForm: review_form,
    forms_staff.DecisionForm: plain(
        forms_staff.DecisionForm,
        {"decision": "laureate", "amount": "100 000", "confirm": "on"},
        {"decision": "non-retenue", "reasons": "Hors du champ", "confirm": "on"},
    ),
    forms_staff.ApplicationFilterForm: application_filter_form,
}
BUILDERS.update(recruitment_fuzz.BUILDERS)
