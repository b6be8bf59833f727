"""Joining (#14): a new member or a new product, proposed by the community and validated by its incubator.

- `member_propose`: an active member of a product (or a member of a team of its incubator, staff) adds a newcomer:
  an **inactive** account (no link works before validation), a member fiche « en attente de validation », their
  first mission on that product and the `Review` the incubator decides;
- `product_propose`: any member of the community proposes a product (title, pitch, incubator, sponsors, first
  phase): it stays out of every public read until validated;
- `review_decide`: a member of a team of the incubator(s) concerned (staff once escalated, administrators) validates
  — the account becomes active and the newcomer receives the welcome e-mail (a login link valid 72 h that leads to
  their onboarding checklist), or the product becomes public — or refuses with a reason (the requester is told, the
  account stays inactive);
- `reviews_escalate(now=…)`: undecided after `REVIEW_ESCALATION_WORKDAYS` working days, the incubator's team and
  Incubator staff are reminded, once (`escalated_at`, claimed by a conditional UPDATE: any number of workers).

Rows about a member are journaled `internal` (nothing personal in public rows); a validated product gets a public row.
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from incubateur.accounts.models import User, normalize_email
from incubateur.accounts.services import welcome
from incubateur.core import journal, notifications
from incubateur.core.errors import NotAllowed, Stale
from incubateur.core.models import Visibility
from incubateur.core.text import date_fr, fold
from incubateur.registry import perms
from incubateur.registry.converters import identifier_problem
from incubateur.registry.enums import Domaine, MissionStatus, PhaseName, ReviewDecision, ReviewState
from incubateur.registry.models import (
    Incubator,
    Member,
    Mission,
    MissionProduct,
    Organisation,
    Phase,
    Product,
    ProductIncubator,
    ProductSponsor,
    Review,
    Team,
)
from incubateur.registry.services.missions import date_errors

NOTIFICATION_KIND = "registry.review"
NAME_MAX_LENGTH = 150
SIGNATURE = "\n\nL'Incubateur de services numériques (DINUM)\n"


# --- Helpers --------------------------------------------------------------------------------------------------


def _check(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError({field: [ValidationError(m) for m in messages] for field, messages in errors.items()})


def _identifier_part(text: str) -> str:
    """`Jean-Édouard de la Tour` → `jean-edouard-de-la-tour`: beta.gouv.fr's spelling of a name in an identifier."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def username_base(first_name: str, last_name: str) -> str:
    """`prenom.nom` as beta.gouv.fr writes it: lower case, no accents, dashes for spaces (`membre` if empty)."""
    return ".".join(part for part in (_identifier_part(first_name), _identifier_part(last_name)) if part) or "membre"


def derive_username(first_name: str, last_name: str) -> str:
    """`username_base`, made unique among members and accounts (`prenom.nom2`, `prenom.nom3`…)."""
    base = username_base(first_name, last_name)
    taken = set(Member.objects.filter(username__startswith=base).values_list("username", flat=True)) | set(
        User.objects.filter(username__startswith=base).values_list("username", flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def derive_ghid(name: str) -> str:
    """A new product's identifier: its name in lower case with dashes, made unique (`nom-2`…)."""
    base = slugify(fold(name)) or "produit"
    taken = set(Product.objects.filter(ghid__startswith=base).values_list("ghid", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _link(name: str, **kwargs) -> str:
    return settings.BASE_URL + reverse(name, kwargs=kwargs)


def _checklist_link() -> str:
    """The newcomer's onboarding checklist (« Mon parcours », the community app), else « Mon espace »."""
    try:
        return _link("community:my_checklist")
    except NoReverseMatch:
        return _link("public:my_space")


def _checklist_labels(domaine: str) -> list[str]:
    """The onboarding items that apply to this domaine, read through `REGISTRY_WELCOME_CHECKLIST`: (the path of a
    function of the community app, a layer above, hence named in settings; its first argument), called with the
    domaine. None when it is not set."""
    hook = getattr(settings, "REGISTRY_WELCOME_CHECKLIST", None)
    if not hook:
        return []
    path, checklist = hook
    return [item.label for item in import_string(path)(checklist, domaine)]


def _reviewer_emails(review: Review) -> list[str]:
    """The addresses of the active accounts in the teams of the incubator(s) concerned."""
    incubators = perms.review_incubator_ids(review)
    return list(
        Team.objects.filter(incubator_id__in=incubators, members__user__is_active=True)
        .values_list("members__user__email", flat=True)
        .distinct()
        .order_by("members__user__email")
    )


def _staff_emails() -> list[str]:
    return list(
        User.objects.active().filter(is_incubator_staff=True).order_by("email").values_list("email", flat=True)
    )


def _subject_of(review: Review) -> str:
    return f"le membre {review.member.fullname}" if review.member_id else f"le produit {review.product.name}"


# --- Proposing ------------------------------------------------------------------------------------------------


@transaction.atomic
def member_propose(
    *,
    by,
    product: Product,
    first_name: str,
    last_name: str,
    email: str,
    domaine: str,
    role: str,
    start: datetime.date,
    end: datetime.date | None,
    status: str,
    employer: str = "",
) -> Member:
    """A newcomer on `product`'s team, pending its incubator's validation. Raises NotAllowed outside the proposer's
    rights, ValidationError (keyed by field) on bad input or an address that already has an account."""
    if not perms.can_propose_member(by, product):
        raise NotAllowed("Vous ne pouvez pas ajouter de membre à ce produit.")
    first_name, last_name, role, employer = first_name.strip(), last_name.strip(), role.strip(), employer.strip()
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    if not first_name:
        errors["first_name"] = ["Indiquez le prénom."]
    if not last_name:
        errors["last_name"] = ["Indiquez le nom."]
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value) > NAME_MAX_LENGTH:
            errors[field] = [f"{NAME_MAX_LENGTH} caractères au plus."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Indiquez une adresse e-mail valide (prenom.nom@exemple.fr)."]
    else:
        if User.objects.by_email(email).exists():
            errors["email"] = [
                "Un compte existe déjà avec cette adresse e-mail : cette personne peut se connecter et ajouter "
                "elle-même une mission."
            ]
    if domaine not in Domaine.values:
        errors["domaine"] = ["Choisissez un domaine."]
    if not role:
        errors["role"] = ["Indiquez le rôle (par exemple « Développeuse »)."]
    if status not in MissionStatus.values:
        errors["status"] = ["Choisissez un statut : agent public, indépendant ou prestataire."]
    else:
        errors.update(
            date_errors(
                start=start,
                end=end,
                status=status,
                limit_applies=perms.mission_limit_applies(by, products=[product]),
            )
        )
    _check(errors)
    username = derive_username(first_name, last_name)
    if problem := identifier_problem(username):  # cannot happen with the derivation above; kept as a guard
        raise ValidationError({"last_name": [f"Identifiant impossible : {problem}."]})
    fullname = f"{first_name} {last_name}"
    user = User.objects.create_user(
        email=email, username=username, first_name=first_name, last_name=last_name, is_active=False
    )
    member = Member.objects.create(
        username=username, user=user, fullname=fullname, role=role, domaine=domaine, review_state=ReviewState.PENDING
    )
    mission = Mission.objects.create(member=member, start=start, end=end, status=status, employer=employer, order=0)
    MissionProduct.objects.create(mission=mission, product=product, order=0)
    review = Review.objects.create(member=member, requested_by=by, requested_at=timezone.now())
    journal.record(
        actor=by,
        action="registry.member_proposed",
        message=f"Nouveau membre proposé sur {product.name} : {fullname}, en attente de validation",
        visibility=Visibility.INTERNAL,
        obj=member,
        data={"username": username, "product": product.ghid, "review": review.pk},
    )
    period = f"à partir du {date_fr(start)}" + (f" jusqu'au {date_fr(end)}" if end else "")
    notifications.notify(
        kind=NOTIFICATION_KIND,
        subject=f"Nouveau membre à valider : {fullname} ({product.name})",
        body=(
            "Bonjour,\n\n"
            f"{by.display_name} propose d'ajouter {fullname} ({role}, {domaine}) à l'équipe de {product.name}, "
            f"{period}.\n\nEn tant que membre d'une équipe de son incubateur, vous pouvez valider ou refuser cette "
            f"arrivée :\n\n{_link('registry:review_detail', pk=review.pk)}\n\n"
            f"Sans décision dans {settings.REVIEW_ESCALATION_WORKDAYS} jours ouvrés, l'équipe de l'Incubateur "
            "pourra décider à votre place." + SIGNATURE
        ),
        emails=_reviewer_emails(review),
    )
    return member


@transaction.atomic
def product_propose(
    *,
    by,
    name: str,
    pitch: str,
    incubator: Incubator,
    sponsors: list[Organisation],
    phase: str,
    phase_start: datetime.date,
) -> Product:
    """A new product, pending its incubator's validation: absent from every public read until then."""
    if not perms.can_propose_product(by):
        raise NotAllowed("Vous ne pouvez pas proposer de produit.")
    name, pitch = name.strip(), pitch.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Indiquez le nom du produit."]
    elif len(name) > 300:
        errors["name"] = ["300 caractères au plus."]
    elif Product.objects.filter(name__iexact=name).exists():
        errors["name"] = ["Un produit porte déjà ce nom."]
    if not pitch:
        errors["pitch"] = ["Indiquez la mission du produit en une ou deux phrases."]
    if incubator is None:
        errors["incubator"] = ["Choisissez l'incubateur."]
    if phase not in PhaseName.values:
        errors["phase"] = ["Choisissez la phase."]
    _check(errors)
    product = Product.objects.create(ghid=derive_ghid(name), name=name, pitch=pitch, review_state=ReviewState.PENDING)
    ProductIncubator.objects.create(product=product, incubator=incubator, is_principal=True, order=0)
    for order, organisation in enumerate(dict.fromkeys(sponsors)):
        ProductSponsor.objects.create(product=product, organisation=organisation, order=order)
    Phase.objects.create(product=product, name=phase, start=phase_start)
    review = Review.objects.create(product=product, requested_by=by, requested_at=timezone.now())
    journal.record(
        actor=by,
        action="registry.product_proposed",
        message=f"Nouveau produit proposé : {name} ({incubator.title}), en attente de validation",
        visibility=Visibility.INTERNAL,
        obj=product,
        data={"ghid": product.ghid, "incubator": incubator.ghid, "review": review.pk},
    )
    notifications.notify(
        kind=NOTIFICATION_KIND,
        subject=f"Nouveau produit à valider : {name}",
        body=(
            "Bonjour,\n\n"
            f"{by.display_name} propose un nouveau produit incubé par {incubator.title} : {name}.\n\n"
            f"{pitch}\n\nEn tant que membre d'une équipe de l'incubateur, vous pouvez le valider (il devient "
            f"public) ou le refuser :\n\n{_link('registry:review_detail', pk=review.pk)}" + SIGNATURE
        ),
        emails=_reviewer_emails(review),
    )
    return product


# --- Deciding -------------------------------------------------------------------------------------------------


def _welcome_body(member: Member) -> str:
    labels = _checklist_labels(member.domaine)
    steps = ""
    if labels:
        steps = "Votre parcours d'arrivée, à suivre à votre rythme :\n\n" + "".join(f"- {label}\n" for label in labels)
        steps += "\n"
    hours = settings.WELCOME_LINK_MAX_AGE // 3600
    return (
        f"Bonjour {member.fullname},\n\n"
        "Bienvenue dans la communauté beta.gouv.fr ! Votre arrivée a été validée par votre incubateur.\n\n"
        "Pour vous connecter la première fois et découvrir votre parcours d'arrivée, suivez ce lien :\n\n"
        f"{welcome.WELCOME_LINK_MASK}\n\n"
        f"Il est valable {hours} heures et ne sert qu'une fois. Ensuite, demandez un lien de connexion à votre "
        f"adresse sur {_link('accounts:login')} (valable 15 minutes).\n\n"
        + steps
        + f"Votre parcours : {_checklist_link()}"
        + SIGNATURE
    )


def _validate_member(review: Review, *, by, now) -> None:
    member = review.member
    member.review_state = ReviewState.VALIDATED
    member.save(update_fields=["review_state"])
    user = member.user
    if user is not None:
        user.is_active = True
        user.save(update_fields=["is_active"])
        welcome.welcome_link_send(
            user=user,
            subject="Bienvenue dans la communauté beta.gouv.fr",
            body=_welcome_body(member),
        )
    journal.record(
        actor=by,
        action="registry.member_validated",
        message=f"Arrivée de {member.fullname} validée",
        visibility=Visibility.INTERNAL,
        obj=member,
        data={"username": member.username, "review": review.pk},
    )


def _validate_product(review: Review, *, by, now) -> None:
    product = review.product
    product.review_state = ReviewState.VALIDATED
    product.save(update_fields=["review_state"])
    incubator = product.principal_incubator
    journal.record(
        actor=by,
        action="registry.product_validated",
        message=f"Nouveau produit : {product.name}" + (f", incubé par {incubator.title}" if incubator else ""),
        visibility=Visibility.PUBLIC,
        obj=product,
        data={"ghid": product.ghid},
    )


def _refuse(review: Review, *, by, reason: str) -> None:
    target = review.member or review.product
    target.review_state = ReviewState.REFUSED
    target.save(update_fields=["review_state"])
    key = {"username": review.member.username} if review.member_id else {"ghid": review.product.ghid}
    journal.record(
        actor=by,
        action="registry.member_refused" if review.member_id else "registry.product_refused",
        message=f"Demande de validation refusée : {_subject_of(review)}",
        visibility=Visibility.INTERNAL,
        obj=target,
        data={**key, "review": review.pk, "reason": reason},
    )


@transaction.atomic
def review_decide(*, review: Review, by, decision: str, reason: str = "") -> Review:
    """Validate or refuse a pending member or product. A refusal needs a reason; a decided review is Stale."""
    # Only the review's row is locked (PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins).
    review = Review.objects.select_for_update(of=("self",)).select_related("member__user", "product").get(pk=review.pk)
    if not perms.can_review(by, review):
        raise NotAllowed("Vous ne pouvez pas décider de cette demande.")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if decision not in ReviewDecision.values:
        errors["decision"] = ["Choisissez « valider » ou « refuser »."]
    elif decision == ReviewDecision.REFUSE and not reason:
        errors["reason"] = ["Indiquez le motif du refus : la personne qui a fait la demande le recevra."]
    _check(errors)
    if review.decision:
        raise Stale(f"Cette demande a déjà été traitée ({review.get_decision_display()}).")
    now = timezone.now()
    if decision == ReviewDecision.VALIDATE:
        (_validate_member if review.member_id else _validate_product)(review, by=by, now=now)
    else:
        _refuse(review, by=by, reason=reason)
    review.decision, review.decided_by, review.decided_at, review.reason = decision, by, now, reason
    review.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    requester = review.requested_by
    if requester is not None and requester.is_active:
        what = _subject_of(review)
        if decision == ReviewDecision.REFUSE:
            sentence = f"{by.display_name} a refusé {what}.\n\nMotif : {reason}"
        elif review.product_id:
            sentence = f"{by.display_name} a validé {what} : il est désormais public.\n\n" + _link(
                "registry:product_detail", ghid=review.product.ghid
            )
        else:
            sentence = f"{by.display_name} a validé {what} : un e-mail de bienvenue lui a été envoyé."
        notifications.notify(
            kind=NOTIFICATION_KIND,
            subject=f"Votre demande : {what} ({review.get_decision_display()})",
            body=f"Bonjour,\n\n{sentence}" + SIGNATURE,
            emails=[requester.email],
        )
    return review


# --- Escalation -----------------------------------------------------------------------------------------------


def reviews_escalate(*, now: datetime.datetime | None = None) -> int:
    """Remind, once, the incubator's team and Incubator staff of each review undecided after
    `REVIEW_ESCALATION_WORKDAYS` working days; from then on staff may decide it. Idempotent and safe with any
    number of workers (each review is claimed by a conditional UPDATE). Returns how many were escalated."""
    now = now or timezone.now()
    # Working days are at least as long as calendar days: a first cut in the database, the exact rule in Python.
    candidates = Review.objects.filter(
        decision="",
        escalated_at__isnull=True,
        requested_at__lte=now - datetime.timedelta(days=settings.REVIEW_ESCALATION_WORKDAYS),
    ).values_list("pk", "requested_at")
    count = 0
    for pk, requested_at in list(candidates):
        if perms.review_escalation_due(requested_at) > now:
            continue
        with transaction.atomic():
            if not Review.objects.filter(pk=pk, decision="", escalated_at__isnull=True).update(escalated_at=now):
                continue  # another worker, or a decision, came first
            review = Review.objects.select_related("member", "product").get(pk=pk)
            what = _subject_of(review)
            journal.record(
                actor=None,
                action="registry.review_escalated",
                message=f"Demande de validation sans décision depuis {settings.REVIEW_ESCALATION_WORKDAYS} jours "
                f"ouvrés : {what}",
                visibility=Visibility.INTERNAL,
                obj=review.member or review.product,
                data={"review": pk},
            )
            notifications.notify(
                kind=NOTIFICATION_KIND,
                subject=f"Relance : validation en attente de {what}",
                body=(
                    "Bonjour,\n\n"
                    f"La demande de validation de {what}, faite le {date_fr(review.requested_at)}, attend une "
                    f"décision depuis {settings.REVIEW_ESCALATION_WORKDAYS} jours ouvrés. L'équipe de l'incubateur "
                    "ou, désormais, l'équipe de l'Incubateur peut la valider ou la refuser :\n\n"
                    f"{_link('registry:review_detail', pk=pk)}" + SIGNATURE
                ),
                emails=[*_reviewer_emails(review), *_staff_emails()],
            )
            count += 1
    return count
