"""The rules a call holds as data, applied: answer validation by question type, automatic eligibility checks on
the product, and the amount checks of a decision (cap, co-financing share, envelope)."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from incubateur.programmes.models import EligibilityCheck, Question, QuestionType
from incubateur.registry.enums import ACTIVE_PHASES


def euros(amount: int | None) -> str:
    """12 345 € (a narrow no-break space between thousands, as French typography wants)."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


def clean_answer(question: Question, raw) -> object:
    """The typed value of one answer, or ValidationError with a French message. Empty → None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = raw.strip() if isinstance(raw, str) else raw
    kind = question.type
    if kind in (QuestionType.TEXT, QuestionType.LONG_TEXT):
        text = str(value)
        limit = 300 if kind == QuestionType.TEXT else 20000
        if len(text) > limit:
            raise ValidationError(f"{len(text)} caractères : {limit} au plus.")
        return text
    if kind in (QuestionType.NUMBER, QuestionType.MONEY):
        text = str(value).replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
        text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError("Saisissez un nombre.") from None
        if not number.is_finite():
            raise ValidationError("Saisissez un nombre.")
        if kind == QuestionType.MONEY:
            if number < 0 or number != number.to_integral_value():
                raise ValidationError("Saisissez un montant en euros, sans centimes.")
            if number > 10**12:
                raise ValidationError("Ce montant est trop grand.")
            return int(number)
        if abs(number) > 10**12:
            raise ValidationError("Ce nombre est trop grand.")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == QuestionType.DATE:
        text = str(value)
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        raise ValidationError("Saisissez une date au format JJ/MM/AAAA.")
    if kind == QuestionType.CHOICE:
        if str(value) not in [str(c) for c in question.choices]:
            raise ValidationError("Choisissez une des réponses proposées.")
        return str(value)
    if kind in (QuestionType.URL, QuestionType.FILE_LINK):
        text = str(value)
        if not re.match(r"^https?://", text):
            raise ValidationError("Saisissez une adresse qui commence par https:// ou http://.")
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise ValidationError("Saisissez une adresse web valide.") from None
        return text
    raise ValidationError("Type de question inconnu.")


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
