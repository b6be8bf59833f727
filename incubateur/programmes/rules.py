"""The rules a call holds as data, applied: answer validation by question type, automatic eligibility checks on
the product, and the amount checks of a decision (cap, co-financing share, envelope)."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from incubateur.core.text import euros
from incubateur.programmes.models import EligibilityCheck, Question, QuestionType
from incubateur.registry.enums import ACTIVE_PHASES


def _text(question: Question, value) -> str:
    text = str(value)
    limit = 300 if question.type == QuestionType.TEXT else 20000
    if len(text) > limit:
        raise ValidationError(f"{len(text)} caractères : {limit} au plus.")
    return text


def _number(question: Question, value) -> int | float:
    text = str(value).replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError("Saisissez un nombre.") from None
    if not number.is_finite():
        raise ValidationError("Saisissez un nombre.")
    if question.type == QuestionType.MONEY:
        if number < 0 or number != number.to_integral_value():
            raise ValidationError("Saisissez un montant en euros, sans centimes.")
        if number > 10**12:
            raise ValidationError("Ce montant est trop grand.")
        return int(number)
    if abs(number) > 10**12:
        raise ValidationError("Ce nombre est trop grand.")
    return int(number) if number == number.to_integral_value() else float(number)


def _date(question: Question, value) -> str:
    text = str(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    raise ValidationError("Saisissez une date au format JJ/MM/AAAA.")


def _choice(question: Question, value) -> str:
    if str(value) not in [str(c) for c in question.choices]:
        raise ValidationError("Choisissez une des réponses proposées.")
    return str(value)


def _web_address(question: Question, value) -> str:
    text = str(value)
    if not re.match(r"^https?://", text):
        raise ValidationError("Saisissez une adresse qui commence par https:// ou http://.")
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationError("Saisissez une adresse web valide.") from None
    return text


# How each type of question reads its answer: the typed value, or ValidationError with a French message.
CLEANERS = {
    QuestionType.TEXT: _text,
    QuestionType.LONG_TEXT: _text,
    QuestionType.NUMBER: _number,
    QuestionType.MONEY: _number,
    QuestionType.DATE: _date,
    QuestionType.CHOICE: _choice,
    QuestionType.URL: _web_address,
    QuestionType.FILE_LINK: _web_address,
}


def clean_answer(question: Question, raw) -> object:
    """The typed value of one answer, or ValidationError with a French message. Empty → None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = raw.strip() if isinstance(raw, str) else raw
    cleaner = CLEANERS.get(question.type)
    if cleaner is None:
        raise ValidationError("Type de question inconnu.")
    return cleaner(question, value)


def clean_answers(questions: list[Question], answers: dict, *, require: bool) -> tuple[dict, dict[str, list[str]]]:
    """Typed answers for the call's questions (unknown keys dropped), and the errors per question key.
    With `require`, a required question left empty is an error (at submission; drafts may be incomplete)."""
    cleaned, errors = {}, {}
    for question in questions:
        try:
            value = clean_answer(question, answers.get(question.key))
        except ValidationError as exc:
            errors[question.key] = list(exc.messages)
            cleaned[question.key] = answers.get(question.key)
            continue
        if value is None and require and question.required:
            errors[question.key] = ["Cette question est obligatoire."]
        if value is not None:
            cleaned[question.key] = value
    return cleaned, errors


def check_eligibility(check: str, product) -> bool | None:
    """One automatic check on a product; None for a manual criterion (staff decide) or without a product."""
    if check == EligibilityCheck.MANUAL or product is None:
        return None
    if check == EligibilityCheck.ACTIVE_PHASE:
        phases = sorted(product.phases.all(), key=lambda p: p.start)
        return bool(phases) and phases[-1].name in ACTIVE_PHASES
    if check == EligibilityCheck.PUBLIC_REPOSITORY:
        return bool(product.repository.strip())
    if check == EligibilityCheck.PUBLIC_STATS:
        return bool(product.stats_url.strip()) or product.stats is True
    if check == EligibilityCheck.PUBLIC_BUDGET:
        return bool(product.budget_url.strip())
    if check == EligibilityCheck.DASHLORD:
        return bool(product.dashlord_url.strip())
    return None


def amount_problems(*, amount: int, cap, share, stated_budget, envelope, granted_so_far: int) -> dict[str, list[str]]:
    """What a grant of `amount` would break, each message saying by how much it overflows."""
    problems: list[str] = []
    if cap is not None and amount > cap:
        problems.append(f"Le montant dépasse le plafond par candidature ({euros(cap)}) de {euros(amount - cap)}.")
    if share is not None and amount > 0:
        if stated_budget is None:
            problems.append(
                f"Le co-financement est limité à {share} % du budget du projet : la candidature n'indique pas "
                "de budget."
            )
        else:
            limit = stated_budget * share // 100
            if amount > limit:
                problems.append(
                    f"Le montant dépasse la part maximale de co-financement ({share} % de {euros(stated_budget)}, "
                    f"soit {euros(limit)}) de {euros(amount - limit)}."
                )
    if envelope is not None and granted_so_far + amount > envelope:
        left = max(envelope - granted_so_far, 0)
        problems.append(
            f"L'enveloppe de l'appel ({euros(envelope)}) serait dépassée de "
            f"{euros(granted_so_far + amount - envelope)} : il reste {euros(left)} à attribuer."
        )
    return {"amount": problems} if problems else {}
