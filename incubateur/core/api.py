"""What every JSON API of the project shares: the error format of a 400, its schemas, and time.

A 400 has the shape of django-ninja's validation errors (config/api.py renders them as 400, not 422):
`{"detail": [{"type", "loc", "msg"}]}`, `loc` naming the field (`["body", "payload", "recipient"]`), empty when the
message is about the whole action. config/api.py also maps a service's `NotAllowed` (400) and `Stale` (409) once.

Every moment in `/api/v1/` is ISO 8601 in Europe/Paris with its offset (`2026-03-29T10:00:00+02:00`): `when()` for
a value built by hand, and config/api.py's renderer for `datetime` fields of the Schemas.

`stamp_key()` is `Stamp.key()` for the endpoints that keep a rendered body under a version stamp (the v1 lists,
`/api/v1/organisation`): the stamp's version read from core/published.py's directory when it vouches for it (a
stat, no query), else from the database.
"""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError

from incubateur.core import published
from incubateur.core.stamps import Stamp

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # beyond it the database's integers overflow (a 500): a 400 instead


def bad_request(errors: dict[str, list[str]], *, where=("body", "payload"), rename=None) -> NinjaValidationError:
    """A 400 to raise: one item per message. `rename` maps a service's field to the API's loc."""
    items = []
    for name, messages in errors.items():
        if not name or name == "__all__":
            loc = []
        elif rename and name in rename:
            loc = list(rename[name])
        else:
            loc = [*where, name]
        items += [{"type": "value_error", "loc": loc, "msg": str(message)} for message in messages]
    return NinjaValidationError(items)


def from_django(exc: DjangoValidationError, **kwargs) -> NinjaValidationError:
    """A service's ValidationError (a dict of field → messages, or plain messages) as a 400."""
    if hasattr(exc, "error_dict"):
        return bad_request(exc.message_dict, **kwargs)
    return bad_request({"__all__": exc.messages}, **kwargs)


class ErrorOut(Schema):
    detail: str


class ErrorItem(Schema):
    type: str
    loc: list[str | int]
    msg: str


class BadRequestOut(Schema):
    detail: list[ErrorItem]


def when(moment: datetime | None) -> str | None:
    """A moment as the API gives it: ISO 8601, Paris time, with its offset."""
    return timezone.localtime(moment).isoformat() if moment is not None else None


class PersonOut(Schema):
    """A person, read from an account (`accounts.User`): give the account itself to the Schema."""

    username: str | None = Field(description="Identifiant beta.gouv.fr (prenom.nom), s'il est connu.")
    fullname: str

    @staticmethod
    def resolve_username(user) -> str | None:
        return user.username or None

    @staticmethod
    def resolve_fullname(user) -> str:
        return user.display_name


class Page(Schema):
    """`limit` and `offset` of a list (query parameters)."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Nombre d'éléments (au plus {MAX_LIMIT}).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Nombre d'éléments à sauter.")


# --- Version stamps without a query -----------------------------------------------------------------------------

_entries: dict[str, published.Entry] = {}


def watched(stamp: Stamp) -> bool:
    """Whether core/published.py marks every bump of `stamp` (`published.watched`)."""
    return published.watched(stamp)


def stamp_version(stamp: Stamp) -> str:
    """The committed version of `stamp`, as `stamp.version()` gives it, without a query when core/published.py
    vouches for it: the stamp is watched, PUBLISHED_ROOT is on, this process has read the stamp from the database
    once, and the stamp's directory holds one version and no mark (a bump leaves a mark from inside its transaction
    until the committed version is written back; PublishedFilesMiddleware serves files on the same rule). Else the
    database (one query, which also publishes the version on disk when nothing is pending). Inside a transaction
    that bumped the stamp there is a mark: its own uncommitted version is read from the database. A disk that
    fails (unwritable, full) only costs the query."""
    if not watched(stamp):
        return stamp.version()
    entry = _entries.get(stamp.name)
    if entry is None:
        entry = _entries[stamp.name] = published.Entry((stamp,), "", daily=False)
    base = published.root()
    try:
        versions = published.disk_versions(base, entry) if base is not None else None
        if versions is None:
            versions = published.db_versions(entry)
    except OSError:
        return stamp.version()
    return versions[0]


def stamp_key(stamp: Stamp, name: str) -> str:
    """`stamp.key(name)` (daily: the date is in the key), the same string, its version from `stamp_version()`."""
    return f"{stamp.name}:{name}:{stamp_version(stamp)}:{published.today()}"
