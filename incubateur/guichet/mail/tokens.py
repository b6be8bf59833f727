"""Reply tokens and thread headers.

A notification about a request to a person carries `Reply-To: <local>+<token>@<domain>` (MAIL_INTAKE_REPLY_ADDRESS
with a plus-tag). The token names the request and the recipient (their account) and is signed with
`django.core.signing` (salted; `SECRET_KEY_FALLBACKS` keep old tokens valid while the key rotates). It only says who
was *invited* to answer: the intake also checks that the mail comes from that person.

Threading: every mail about a request says `In-Reply-To`/`References: <guichet.REFERENCE@domain>`, a stable id per
request, so mail clients keep one thread per request.
"""

from django.conf import settings
from django.core import signing
from django.utils.http import base36_to_int, int_to_base36

from incubateur.accounts.models import User

SALT = "incubateur.guichet.mail.reply"


def _signer() -> signing.Signer:
    # "." separates: it is not in the signature's alphabet (URL-safe base64), and every character is allowed in the
    # local part of an address.
    return signing.Signer(salt=SALT, sep=".")


def make_token(ticket, user) -> str:
    return _signer().sign(f"{int_to_base36(ticket.pk)}.{int_to_base36(user.pk)}")


def read_token(token: str) -> tuple[int, int] | None:
    """(ticket pk, user pk) of a valid token, else None (forged, altered, or signed with a retired key)."""
    try:
        value = _signer().unsign(token)
        ticket, user = value.split(".")
        return base36_to_int(ticket), base36_to_int(user)
    except (signing.BadSignature, ValueError):
        return None


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().rpartition("@")
    return local, domain.lower()


def reply_address(ticket, user) -> str | None:
    if not settings.MAIL_INTAKE_REPLY_ADDRESS:
        return None
    local, domain = _split(settings.MAIL_INTAKE_REPLY_ADDRESS)
    return f"{local}+{make_token(ticket, user)}@{domain}"


def token_in(address: str) -> str | None:
    """The plus-tag of `address` when it is the reply address with one, else None."""
    if not settings.MAIL_INTAKE_REPLY_ADDRESS:
        return None
    base_local, base_domain = _split(settings.MAIL_INTAKE_REPLY_ADDRESS)
    local, domain = _split(address)
    base, plus, tag = local.partition("+")
    if not plus or domain != base_domain or base.lower() != base_local.lower():
        return None
    return tag or None


def _domain() -> str:
    source = settings.MAIL_INTAKE_REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return source.rstrip(">").rpartition("@")[2].strip() or "localhost"


def thread_id(ticket) -> str:
    """The stable Message-ID every mail about this request answers."""
    return f"<guichet.{ticket.reference.lower()}@{_domain()}>"


def thread_headers(ticket, *, answering: str = ""):
    """`headers_for` of `core.notifications.notify` for a mail about `ticket`: threading, and a reply address
    per recipient with an account. `answering`: the Message-ID of the mail this one answers (then it is an
    automatic answer: `Auto-Submitted: auto-replied`)."""
    root = thread_id(ticket)

    def headers_for(address: str) -> dict[str, str]:
        headers = {"In-Reply-To": answering or root, "References": f"{root} {answering}".strip()}
        if answering:
            headers["Auto-Submitted"] = "auto-replied"
        user = User.objects.by_email(address).first()
        reply_to = reply_address(ticket, user) if user is not None else None
        if reply_to:
            headers["Reply-To"] = reply_to
        return headers

    return headers_for
