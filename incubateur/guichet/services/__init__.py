"""Write use cases of the guichet. Each runs in one transaction, writes its journal row and queues its
notifications with it (`core.notifications.notify`): a committed request is never left unannounced.

Confidential requests: their journal rows are `confidential` (read only through the request), their e-mails
carry neither subject nor body, and they never reach Mattermost.

By sub-domain: `tickets` (requests: submit, reply, status, reassignment, access), `offers` (offers of help),
`routing_rules` (the routing table), `housekeeping` (reminders and auto-close). The refusals: `NotAllowed` (from
core) and `StaleTicket`.
"""

from incubateur.core.errors import NotAllowed
from incubateur.guichet.services.housekeeping import TickReport, tick
from incubateur.guichet.services.offers import offer_accept, offer_decline, offer_propose, offer_withdraw
from incubateur.guichet.services.routing_rules import routing_rule_delete, routing_rule_save
from incubateur.guichet.services.tickets import (
    IDEMPOTENCY_KEY_MAX,
    SUBJECT_MAX,
    StaleTicket,
    ticket_assign,
    ticket_participant_add,
    ticket_read,
    ticket_reply,
    ticket_status_set,
    ticket_submit,
)

__all__ = [
    "IDEMPOTENCY_KEY_MAX",
    "SUBJECT_MAX",
    "NotAllowed",
    "StaleTicket",
    "TickReport",
    "offer_accept",
    "offer_decline",
    "offer_propose",
    "offer_withdraw",
    "routing_rule_delete",
    "routing_rule_save",
    "tick",
    "ticket_assign",
    "ticket_participant_add",
    "ticket_read",
    "ticket_reply",
    "ticket_status_set",
    "ticket_submit",
]
