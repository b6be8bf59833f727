"""Reads for the public pages (programmes, calls, results) and the applicant's pages (apply, « Mes candidatures »,
an application). Applications are read through `Application.objects.for_user(user)` (404 outside it), narrowed
to the applicant side: what a member of the Incubator sees there as staff belongs to the staff pages. Nothing here
decides a permission (that is `perms.py`).

Amounts are formatted here (`rules.euros`), so templates only print strings.
"""

import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils import timezone

from incubateur.core.roles import is_staff
from incubateur.programmes import rules
from incubateur.programmes.models import (
    DECIDED,
    GRANTED,
    Application,
    ApplicationStatus,
    Call,
    EligibilityCheck,
    Programme,
    QuestionType,
)
from incubateur.registry.models import Product

MINE_PER_PAGE = 20

# DSFR badge of a call's state (`Call.state_label`) and of an application's public status.
CALL_BADGES = {
    "ouvert": "fr-badge--success",
    "à venir": "fr-badge--info",
    "clos": "",
    "résultats publiés": "fr-badge--purple-glycine",
    "en préparation": "fr-badge--new",
}
STATUS_BADGES = {
    ApplicationStatus.DRAFT: "",
    ApplicationStatus.SUBMITTED: "fr-badge--info",
    ApplicationStatus.UNDER_REVIEW: "fr-badge--info",
    ApplicationStatus.IN_COMMITTEE: "fr-badge--info",
    ApplicationStatus.INADMISSIBLE: "fr-badge--error",
    ApplicationStatus.NOT_SELECTED: "fr-badge--warning",
    ApplicationStatus.LAUREATE: "fr-badge--success",
    ApplicationStatus.AGREEMENT: "fr-badge--success",
    ApplicationStatus.SUPPORT: "fr-badge--success",
    ApplicationStatus.DONE: "fr-badge--success",
}


# --- Calls ---------------------------------------------------------------------------------------------------------


@dataclass
class CallCard:
    call: Call
    state: str
    badge: str


@dataclass
class ProgrammeCalls:
    programme: Programme
    past: list[CallCard] = field(default_factory=list)


@dataclass
class ProgrammesIndex:
    """/programmes/: what is open first (every programme's calls, closing soonest first), then what is coming, then
    each programme with its past calls and editions."""

    open: list[CallCard] = field(default_factory=list)
    upcoming: list[CallCard] = field(default_factory=list)
    programmes: list[ProgrammeCalls] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.open or self.upcoming or self.programmes)


def _card(call: Call, now) -> CallCard:
    state = call.state_label(now)
    return CallCard(call=call, state=state, badge=CALL_BADGES.get(state, ""))


def open_calls(*, now=None, limit: int | None = None) -> list[CallCard]:
    """The calls open now, every programme's, closing soonest first (the home page and /programmes/ show them
    first): cards with their call (its programme read with it), state and badge. One query."""
    now = now or timezone.now()
    calls = Call.objects.open(now).select_related("programme").order_by("closes_at", "pk")
    return [_card(call, now) for call in (calls[:limit] if limit is not None else calls)]


def programmes_index(now=None) -> ProgrammesIndex:
    """The calls the public sees: the open ones first (closing soonest first), the upcoming ones (opening soonest
    first), then each programme that has one, with its past calls (latest first, the imported FAST editions by
    number). One query."""
    now = now or timezone.now()
    index = ProgrammesIndex()
    groups: dict[int, ProgrammeCalls] = {}
    for call in Call.objects.visible().select_related("programme"):
        group = groups.setdefault(call.programme_id, ProgrammeCalls(programme=call.programme))
        card = _card(call, now)
        if card.state == "ouvert":
            index.open.append(card)
        elif card.state == "à venir":
            index.upcoming.append(card)
        else:
            group.past.append(card)
    index.open.sort(key=lambda card: (card.call.closes_at, card.call.pk))
    index.upcoming.sort(key=lambda card: (card.call.opens_at, card.call.pk))
    for group in groups.values():
        group.past.sort(
            key=lambda card: (
                card.call.closes_at is not None,
                card.call.closes_at or now,
                card.call.number or 0,
                card.call.pk,
            ),
            reverse=True,
        )
    index.programmes = sorted(groups.values(), key=lambda group: (group.programme.order, group.programme.name))
    return index


def call_for(user, pk: int) -> Call | None:
    """A call the public sees (announced or historical); Incubator staff may preview the others."""
    calls = Call.objects.all() if is_staff(user) else Call.objects.visible()
    return calls.select_related("programme").filter(pk=pk).first()


@dataclass
class CallPage:
    call: Call
    state: str
    badge: str
    is_open: bool
    announced: bool  # seen by the public (a preview for staff otherwise)
    envelope: str
    cap: str
    share: str
    questions: list
    eligibility: list
    criteria: list
    total_weight: int
    my_applications: list[Application]
    edition_text: str = ""  # a past edition's own text (Markdown, from `_fasts/`), its title heading left out
    results: "ResultsPage | None" = None  # a past edition's laureates, shown on its page


def call_page(user, call: Call, now=None) -> CallPage:
    now = now or timezone.now()
    criteria = list(call.selection_criteria.all())
    questions = list(call.questions.all())
    for question in questions:
        question.choices_label = ", ".join(str(choice) for choice in question.choices)
    mine = []
    if user.is_authenticated:
        mine = list(applicant_side(user).filter(call=call).select_related("product", "call"))
    return CallPage(
        call=call,
        state=call.state_label(now),
        badge=CALL_BADGES.get(call.state_label(now), ""),
        is_open=call.is_open(now),
        announced=call.opens_at is not None or call.historical,
        envelope=rules.euros(call.envelope) if call.envelope is not None else "",
        cap=rules.euros(call.cap) if call.cap is not None else "",
        share=f"{call.max_cofinancing_share} %" if call.max_cofinancing_share is not None else "",
        questions=questions,
        eligibility=list(call.eligibility_criteria.all()),
        criteria=criteria,
        total_weight=sum(criterion.weight for criterion in criteria),
        my_applications=mine,
        edition_text=edition_text(call),
        results=results_page(call) if call.historical else None,
    )


# The heading an edition's text opens with (`# FAST 1 - Juin 2019`, `<h1>FAST 12 - Janvier 2023</h1>`): the page's
# own <h1> says it already.
_LEADING_TITLE = re.compile(r"\A\s*(?:#[ \t]+[^\n]*(?:\n|\Z)|<h1\b[^>]*>.*?</h1>)", re.IGNORECASE | re.DOTALL)


def edition_text(call: Call) -> str:
    """A past edition's text as beta.gouv.fr publishes it (`_fasts/*.md`), without the title it opens with; "" for
    a call run here (its description is the staff's plain text)."""
    if not call.historical:
        return ""
    return _LEADING_TITLE.sub("", call.description, count=1).strip()


@dataclass
class Laureate:
    name: str
    ghid: str  # the product's page, when the laureate is a product
    amount: str


@dataclass
class ResultsPage:
    laureates: list[Laureate]
    total: str
    applications: int | None  # None for an imported edition: only its laureates are known
    historical: bool = False
    # A past edition: its laureates are those the products' `fast:` name; its text may name others and give
    # figures the product files do not carry, so the pages show it rather than "no laureate".
    edition_text: str = ""


def results_page(call: Call) -> ResultsPage:
    """The laureates of a call (never the names of the others), their amounts, the total and the number of
    applications received."""
    granted = list(call.applications.filter(status__in=GRANTED).select_related("product"))
    granted.sort(key=lambda a: (-(a.amount_granted or 0), a.display_name.lower()))
    laureates = [
        Laureate(
            name=application.display_name,
            ghid=application.product.ghid if application.product_id else "",
            amount=rules.euros(application.amount_granted),
        )
        for application in granted
    ]
    total = sum(application.amount_granted or 0 for application in granted)
    received = None
    if not call.historical:
        received = call.applications.exclude(status=ApplicationStatus.DRAFT).count()
    return ResultsPage(
        laureates=laureates,
        total=rules.euros(total),
        applications=received,
        historical=call.historical,
        edition_text=edition_text(call),
    )


# --- Applications --------------------------------------------------------------------------------------------------


def applicant_side(user):
    """The applications this person sees as an applicant: theirs, and their active teams' products' ones."""
    mine = Q(applicant=user) | Q(product__in=Product.objects.with_active_member(user).values("pk"))
    return Application.objects.for_user(user).filter(mine)


def my_applications_page(user, page_number) -> Page:
    applications = applicant_side(user).select_related("call__programme", "product").order_by("-created_at", "-pk")
    page = Paginator(applications, MINE_PER_PAGE).get_page(page_number)
    for application in page.object_list:
        application.badge = STATUS_BADGES.get(application.public_status(), "")
    return page


def application_for(user, pk: int) -> Application | None:
    """An application within `for_user` (staff see every submitted one: the view sends those who are not
    applicant side to the staff page)."""
    return (
        Application.objects.for_user(user)
        .select_related("call__programme", "product", "applicant")
        .prefetch_related("call__questions", "call__eligibility_criteria")
        .filter(pk=pk)
        .first()
    )


@dataclass
class ApplyChoices:
    """For a product call: the person's products still free to apply, and their teams' applications already
    started."""

    products: list = field(default_factory=list)
    started: list[Application] = field(default_factory=list)


def apply_choices(user, call: Call) -> ApplyChoices:
    products = list(Product.objects.with_active_member(user).order_by("name"))
    started = list(
        Application.objects.filter(call=call, product__in=[p.pk for p in products])
        .select_related("product")
        .order_by("product__name")
    )
    taken = {application.product_id for application in started}
    return ApplyChoices(products=[p for p in products if p.pk not in taken], started=started)


def own_applications(user, call: Call) -> list[Application]:
    """For a call open to administrations, associations or people: this person's applications already started."""
    return list(applicant_side(user).filter(call=call).order_by("created_at"))


@dataclass
class Answer:
    label: str
    value: str
    kind: str  # "texte", "texte-long", "url"…
    missing: bool


@dataclass
class Check:
    label: str
    verdict: str
    badge: str


def _answer_text(question, value) -> str:
    if value is None or value == "":
        return ""
    if question.type == QuestionType.MONEY and isinstance(value, int):
        return rules.euros(value)
    if question.type == QuestionType.DATE and isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return str(value)


def answers(application: Application) -> list[Answer]:
    """The answers, question by question, as the applicant typed them (typed values formatted)."""
    result = []
    for question in application.call.questions.all():
        value = application.answers.get(question.key)
        text = _answer_text(question, value)
        kind = question.type
        if question.type in (QuestionType.URL, QuestionType.FILE_LINK):
            # A draft keeps what was typed: only a web address becomes a link.
            kind = "url" if re.match(r"^https?://", text, re.IGNORECASE) else QuestionType.TEXT
        result.append(Answer(label=question.label, value=text, kind=kind, missing=not text))
    return result


VERDICTS = {
    True: ("rempli", "fr-badge--success"),
    False: ("non rempli", "fr-badge--error"),
    None: ("vérifié par l'équipe de l'Incubateur", ""),
}


def eligibility_checks(application: Application) -> list[Check]:
    """Each eligibility criterion of the call with its result (automatic checks are recorded at submission)."""
    checks = []
    for criterion in application.call.eligibility_criteria.all():
        value = application.eligibility.get(str(criterion.pk))
        verdict, badge = VERDICTS.get(value, VERDICTS[None])
        if value is None and criterion.verification != EligibilityCheck.MANUAL:
            verdict = "à vérifier par l'équipe de l'Incubateur"
        checks.append(Check(label=criterion.label, verdict=verdict, badge=badge))
    return checks


# The steps the applicant sees, with the statuses each one covers.
STEPS = [
    ("Brouillon", (ApplicationStatus.DRAFT,)),
    ("Déposée", (ApplicationStatus.SUBMITTED,)),
    ("En instruction", (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.INADMISSIBLE)),
    ("En comité", (ApplicationStatus.IN_COMMITTEE,)),
    (
        "Résultats",
        (*DECIDED, ApplicationStatus.AGREEMENT, ApplicationStatus.SUPPORT, ApplicationStatus.DONE),
    ),
]


@dataclass
class Step:
    number: int
    total: int
    title: str
    next_title: str


def step(application: Application) -> Step:
    """Where the application stands (DSFR stepper), from its public status."""
    status = application.public_status()
    number = next(i for i, (_, statuses) in enumerate(STEPS, start=1) if status in statuses)
    title = STEPS[number - 1][0]
    if number == len(STEPS) or status == ApplicationStatus.INADMISSIBLE:
        title = application.public_status_label()
    next_title = STEPS[number][0] if number < len(STEPS) and status != ApplicationStatus.INADMISSIBLE else ""
    return Step(number=number, total=len(STEPS), title=title, next_title=next_title)


def status_badge(application: Application) -> str:
    return STATUS_BADGES.get(application.public_status(), "")
