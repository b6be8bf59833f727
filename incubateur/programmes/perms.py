"""Who may do what with programmes, applications and reviews: one function per decision.

Seeing an application at all is `Application.objects.for_user(user)` (404 outside it).
"""

from incubateur.core.roles import is_member, is_staff
from incubateur.programmes.models import ApplicantType, Application, ApplicationStatus, Call, Review
from incubateur.registry.models import Member, Product


def can_manage_calls(user) -> bool:
    """Create and edit calls, instruct applications, decide, publish results."""
    return is_staff(user)


def can_apply(user, call: Call, now=None) -> bool:
    return is_member(user) and call.is_open(now)


def can_edit_application(user, application: Application, now=None) -> bool:
    """A draft, while the call is open: its applicant, or any active member of its product's team."""
    if not application.is_draft or not application.call.is_open(now) or not is_member(user):
        return False
    return is_applicant_side(user, application)


def is_applicant_side(user, application: Application) -> bool:
    if not is_member(user):
        return False
    if application.applicant_id == user.pk:
        return True
    if application.product_id and application.call.applicant_type == ApplicantType.PRODUCT:
        return Product.objects.with_active_member(user).filter(pk=application.product_id).exists()
    return False


def has_conflict(user, application: Application) -> bool:
    """A member of the product's team (any mission on it, past or present), or someone who stepped aside."""
    if Review.objects.filter(application=application, reviewer=user, withdrawn=True).exists():
        return True
    if application.applicant_id == user.pk:
        return True
    if application.product_id:
        return Member.objects.filter(user=user, missions__products=application.product_id).exists()
    return False


def can_review(user, application: Application) -> bool:
    """Staff without a conflict, while the application is being instructed."""
    return (
        is_staff(user) and application.status == ApplicationStatus.UNDER_REVIEW and not has_conflict(user, application)
    )


def scores_visible(user, applications) -> dict[int, bool]:
    """Blind reviews, for a list of applications in two queries: may `user` see the others' scores?

    A reviewer once they submitted theirs; anyone on staff without a conflict once the application left instruction
    (reviews are closed then). Never a conflicted person (the applicant, a member of the product's team — past or
    present —, someone who stepped aside), never before instruction.
    """
    applications = list(applications)
    if not is_staff(user) or not applications:
        return dict.fromkeys((a.pk for a in applications), False)
    mine = {
        review.application_id: review
        for review in Review.objects.filter(reviewer=user, application__in=[a.pk for a in applications])
    }
    team_products = set(Member.objects.filter(user=user).values_list("missions__products", flat=True)) - {None}
    visible = {}
    for application in applications:
        review = mine.get(application.pk)
        conflict = (
            (review is not None and review.withdrawn)
            or application.applicant_id == user.pk
            or (application.product_id is not None and application.product_id in team_products)
        )
        if conflict or application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED):
            visible[application.pk] = False
        elif application.status != ApplicationStatus.UNDER_REVIEW:
            visible[application.pk] = True
        else:
            visible[application.pk] = review is not None and review.is_submitted
    return visible


def can_see_scores(user, application: Application) -> bool:
    """`scores_visible` for one application."""
    return scores_visible(user, [application])[application.pk]


def can_decide(user, application: Application) -> bool:
    return can_manage_calls(user) and not has_conflict(user, application)


def can_see_results(user, call: Call) -> bool:
    """The public results page: once published (staff preview it before)."""
    return call.results_published or is_staff(user)
