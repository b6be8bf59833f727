"""Reads of the staff pages: the calls with their counts, a call's applications, the committee's ranking, an
application's instruction. A constant number of queries whatever the number of calls, applications and reviews
(the tests add rows and check it).

Blind reviews: whether a user sees an application's scores is `perms.scores_visible` (a whole page at once, in two
queries); `perms.can_see_scores` is the same rule for one application.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Sum

from incubateur.programmes import perms
from incubateur.programmes.models import (
    GRANTED,
    Application,
    ApplicationStatus,
    Call,
    EligibilityCheck,
    Programme,
    QuestionType,
    Review,
)
from incubateur.programmes.rules import euros

PAGE_SIZE = 25
# The applications the committee ranks.
COMMITTEE_STATUSES = (ApplicationStatus.IN_COMMITTEE, ApplicationStatus.UNDER_REVIEW)


def status_label(status: str) -> str:
    return ApplicationStatus(status).label


# --- Blind reviews, for a page of applications ------------------------------------------------------------------


def submitted_reviews(application) -> list[Review]:
    """From prefetched `reviews`."""
    return [review for review in application.reviews.all() if review.is_submitted]


def review_scores(reviews, criteria) -> list[float]:
    return [s for s in (review.weighted_score(criteria) for review in reviews) if s is not None]


def mean_score(scores: list[float]) -> float | None:
    return round(mean(scores), 2) if scores else None


# --- Calls ------------------------------------------------------------------------------------------------------


@dataclass
class CallRow:
    call: Call
    state: str
    counts: list[tuple[str, int]]
    granted: int

    @property
    def envelope_use(self) -> str:
        if self.call.envelope is None:
            return f"{euros(self.granted)} (pas d'enveloppe)"
        return f"{euros(self.granted)} sur {euros(self.call.envelope)}"


@dataclass
class ProgrammeGroup:
    programme: Programme
    rows: list[CallRow]


def _call_stats(call_ids=None) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Counts of applications per call and status, and the amount granted per call (one query)."""
    rows = Application.objects.all()
    if call_ids is not None:
        rows = rows.filter(call__in=call_ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    granted: dict[int, int] = defaultdict(int)
    for row in rows.order_by().values("call_id", "status").annotate(n=Count("pk"), total=Sum("amount_granted")):
        counts[row["call_id"]][row["status"]] = row["n"]
        if row["status"] in GRANTED:
            granted[row["call_id"]] += row["total"] or 0
    return counts, granted


def ordered_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, counts[value]) for value, label in ApplicationStatus.choices if counts.get(value)]


def calls_by_programme() -> list[ProgrammeGroup]:
    programmes = list(Programme.objects.all())
    counts, granted = _call_stats()
    by_programme: dict[int, list[CallRow]] = defaultdict(list)
    for call in Call.objects.select_related("programme"):
        by_programme[call.programme_id].append(
            CallRow(
                call=call,
                state=call.state_label(),
                counts=ordered_counts(counts.get(call.pk, {})),
                granted=granted.get(call.pk, 0),
            )
        )
    return [ProgrammeGroup(programme=p, rows=by_programme.get(p.pk, [])) for p in programmes]


@dataclass
class CallSummary:
    call: Call
    counts: dict[str, int]
    granted: int

    @property
    def remaining(self) -> int | None:
        return None if self.call.envelope is None else self.call.envelope - self.granted

    @property
    def granted_text(self) -> str:
        return euros(self.granted)

    @property
    def remaining_text(self) -> str:
        return "sans limite" if self.remaining is None else euros(self.remaining)

    @property
    def envelope_text(self) -> str:
        return "aucune" if self.call.envelope is None else euros(self.call.envelope)

    @property
    def cap_text(self) -> str:
        return "aucun" if self.call.cap is None else euros(self.call.cap)

    @property
    def share_text(self) -> str:
        share = self.call.max_cofinancing_share
        return "aucune limite" if share is None else f"{share} % du budget du projet"

    @property
    def submitted(self) -> int:
        return sum(n for status, n in self.counts.items() if status != ApplicationStatus.DRAFT)

    @property
    def drafts(self) -> int:
        return self.counts.get(ApplicationStatus.DRAFT, 0)

    @property
    def pending_decisions(self) -> int:
        return sum(self.counts.get(s, 0) for s in (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.IN_COMMITTEE))


def call_summary(call: Call) -> CallSummary:
    counts, granted = _call_stats([call.pk])
    return CallSummary(call=call, counts=counts.get(call.pk, {}), granted=granted.get(call.pk, 0))


# --- A call's applications --------------------------------------------------------------------------------------

SYMBOLS = {True: ("✓", "rempli"), False: ("✗", "non rempli"), None: ("?", "à vérifier")}


@dataclass
class EligibilityItem:
    criterion: object
    value: bool | None

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.value][0]

    @property
    def verdict(self) -> str:
        return SYMBOLS[self.value][1]

    @property
    def automatic(self) -> bool:
        return self.criterion.verification != EligibilityCheck.MANUAL


def eligibility_items(application, criteria) -> list[EligibilityItem]:
    results = application.eligibility or {}
    return [EligibilityItem(criterion=c, value=results.get(str(c.pk))) for c in criteria]


@dataclass
class ApplicationRow:
    application: Application
    eligibility: list[EligibilityItem]
    reviews_done: int
    reviews_expected: int
    score: float | None
    score_visible: bool

    @property
    def requested(self) -> str:
        return euros(self.application.amount_requested)

    @property
    def granted(self) -> str:
        return euros(self.application.amount_granted)

    @property
    def status_label(self) -> str:
        return self.application.get_status_display()


def _with_reviews(queryset):
    return queryset.select_related("product").prefetch_related(
        Prefetch("reviews", queryset=Review.objects.order_by("submitted_at", "pk"))
    )


def applications_page(call: Call, *, user, status: str = "", page_number=None) -> Page:
    """The call's applications (drafts are the applicants' own business), newest deposit first."""
    rows = Application.objects.for_user(user).instructed().filter(call=call)
    if status:
        rows = rows.filter(status=status)
    rows = _with_reviews(rows.order_by("-submitted_at", "-pk"))
    page = Paginator(rows, PAGE_SIZE).get_page(page_number)
    applications = list(page.object_list)
    selection = list(call.selection_criteria.all())
    eligibility = list(call.eligibility_criteria.all())
    visible = perms.scores_visible(user, applications)
    page.object_list = []
    for application in applications:
        reviews = list(application.reviews.all())
        done = [r for r in reviews if r.is_submitted]
        page.object_list.append(
            ApplicationRow(
                application=application,
                eligibility=eligibility_items(application, eligibility),
                reviews_done=len(done),
                reviews_expected=sum(1 for r in reviews if not r.withdrawn),
                score=mean_score(review_scores(done, selection)),
                score_visible=visible[application.pk],
            )
        )
    return page


# --- The committee ------------------------------------------------------------------------------------------------


@dataclass
class RankedRow:
    application: Application
    visible: bool
    count: int = 0
    score: float | None = None
    spread: float | None = None
    per_criterion: list[float | None] = field(default_factory=list)
    rank: int | None = None

    @property
    def requested(self) -> str:
        return euros(self.application.amount_requested)

    @property
    def budget(self) -> str:
        return euros(self.application.stated_budget)


@dataclass
class CommitteeRanking:
    call: Call
    criteria: list
    rows: list[RankedRow]
    summary: CallSummary

    @property
    def masked(self) -> int:
        return sum(1 for row in self.rows if not row.visible)


def committee_ranking(call: Call, *, user) -> CommitteeRanking:
    """Applications in committee or under review, by the weighted mean of their submitted reviews (best first),
    with the spread of the reviewers' scores (max − min) and each criterion's mean. An application whose scores
    the user may not see yet (their own review is not submitted) is listed last, unranked, its scores masked:
    its place in the ranking would tell them."""
    criteria = list(call.selection_criteria.all())
    applications = list(
        _with_reviews(Application.objects.filter(call=call, status__in=COMMITTEE_STATUSES)).order_by("pk")
    )
    visible = perms.scores_visible(user, applications)
    rows = []
    for application in applications:
        reviews = submitted_reviews(application)
        row = RankedRow(application=application, visible=visible[application.pk], count=len(reviews))
        if row.visible:
            scores = review_scores(reviews, criteria)
            row.score = mean_score(scores)
            row.spread = round(max(scores) - min(scores), 2) if scores else None
            for criterion in criteria:
                values = [int(r.scores[str(criterion.pk)]) for r in reviews if str(criterion.pk) in r.scores]
                row.per_criterion.append(mean_score(values))
        rows.append(row)
    ranked = sorted(
        (row for row in rows if row.visible and row.score is not None),
        key=lambda row: (-row.score, row.spread or 0, row.application.pk),
    )
    for rank, row in enumerate(ranked, start=1):
        row.rank = rank
    unscored = [row for row in rows if row.visible and row.score is None]
    masked = sorted((row for row in rows if not row.visible), key=lambda row: row.application.display_name.lower())
    return CommitteeRanking(call=call, criteria=criteria, rows=ranked + unscored + masked, summary=call_summary(call))


# --- One application ----------------------------------------------------------------------------------------------


@dataclass
class Answer:
    question: object
    value: object

    @property
    def is_link(self) -> bool:
        return (
            self.question.type in (QuestionType.URL, QuestionType.FILE_LINK)
            and isinstance(self.value, str)
            and self.value.startswith(("https://", "http://"))
        )

    @property
    def text(self) -> str:
        if self.value is None or self.value == "":
            return ""
        if self.question.type == QuestionType.MONEY and isinstance(self.value, int):
            return euros(self.value)
        return str(self.value)


def application_for_staff(user, pk: int) -> Application | None:
    """An application on its instruction page: within `for_user`, as in the API, and never a draft."""
    return (
        Application.objects.for_user(user)
        .instructed()
        .select_related("call__programme", "product", "applicant", "decided_by")
        .filter(pk=pk)
        .first()
    )


def answers(application: Application, questions) -> list[Answer]:
    return [Answer(question=q, value=(application.answers or {}).get(q.key)) for q in questions]


@dataclass
class ReviewView:
    review: Review
    scores: list[tuple[object, object]]  # (criterion, score or None)
    weighted: float | None


def review_views(reviews, criteria) -> list[ReviewView]:
    return [
        ReviewView(
            review=review,
            scores=[(c, review.scores.get(str(c.pk))) for c in criteria],
            weighted=review.weighted_score(criteria),
        )
        for review in reviews
    ]


def reviews_of(application: Application) -> list[Review]:
    return list(application.reviews.select_related("reviewer").order_by("submitted_at", "pk"))


def granted_in_call(call: Call) -> int:
    return Application.objects.filter(call=call).granted().aggregate(total=Sum("amount_granted"))["total"] or 0
