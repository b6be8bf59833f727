"""Write use cases of the programmes, by sub-domain: calls, applications (and their instruction), reviews, decisions
and results. Each runs in one transaction, writes its journal row and queues its notifications with it. Callers
import this package: `services.application_submit(…)`."""

from incubateur.core.errors import NotAllowed
from incubateur.programmes.services.applications import (
    StaleApplication,
    application_create,
    application_save_draft,
    application_start,
    application_status_set,
    application_submit,
    closed_message,
    eligibility_mark,
)
from incubateur.programmes.services.calls import FROZEN_FIELDS, call_rules_set, call_save
from incubateur.programmes.services.results import (
    WITHOUT_REVIEW,
    application_decide,
    not_closed_message,
    results_publish,
)
from incubateur.programmes.services.reviews import review_save, review_withdraw

__all__ = [
    "FROZEN_FIELDS",
    "NotAllowed",
    "WITHOUT_REVIEW",
    "StaleApplication",
    "application_create",
    "application_decide",
    "application_save_draft",
    "application_start",
    "application_status_set",
    "application_submit",
    "call_rules_set",
    "call_save",
    "closed_message",
    "eligibility_mark",
    "not_closed_message",
    "results_publish",
    "review_save",
    "review_withdraw",
]
