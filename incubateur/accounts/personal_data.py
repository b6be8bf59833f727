"""Personal data held by the accounts app (and the journal and outbox rows that name the account).

`export(user)`: the account, its tokens (names and dates: never a hash), the journal rows it is the actor of (never a
confidential one: the guichet's export adds those about the person's own requests), the notifications sent to it.

`purge(now=…)`: anonymise the accounts unused for `RETENTION_INACTIVE_ACCOUNTS_YEARS` years that nobody needs any
more (no running mission in the registry, no current position in the organisation, not an administrator). The rows
that name them stay and now name the anonymised account; the journal keeps the fact, not the person.
"""

import calendar
import datetime
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone
from django.utils.module_loading import import_string

from incubateur.accounts.models import ApiToken, LoginToken, User
from incubateur.core import journal
from incubateur.core.models import JournalEntry, Notification, NotificationChannel, NotificationStatus, Visibility
from incubateur.core.text import plural, quantity

ANONYMISED = "[anonymisé]"
ANONYMOUS_DOMAIN = "@invalid"  # RFC 2606: never a real address


def export(user) -> dict:
    return {
        "compte": {
            "adresse_e_mail": user.email,
            "identifiant": user.username,
            "prenom": user.first_name,
            "nom": user.last_name,
            "actif": user.is_active,
            "equipe_de_l_incubateur": user.is_incubator_staff,
            "acces_a_l_administration": user.is_staff,
            "administrateur": user.is_superuser,
            "inscrit_le": user.date_joined,
            "derniere_connexion": user.last_login,
            "identifiant_proconnect": user.proconnect_sub,
        },
        "jetons_d_api": [
            {
                "nom": t.name,
                "cree_le": t.created_at,
                "derniere_utilisation": t.last_used_at,
                "revoque_le": t.revoked_at,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "liens_de_connexion": [
            {
                "cree_le": t.created_at,
                "expire_le": t.expires_at,
                "utilise_le": t.used_at,
                "demande_depuis": t.requested_from,
            }
            for t in LoginToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
        # Confidential rows are read through the object they concern: the guichet exports those about the
        # person's own requests.
        "journal": [
            {"date": e.at, "action": e.action, "message": e.message}
            for e in JournalEntry.objects.filter(actor=user)
            .exclude(visibility=Visibility.CONFIDENTIAL)
            .order_by("at", "pk")
        ],
        # What was sent, when; not the messages themselves (they quote other people's requests and replies).
        "notifications_recues": [
            {"type": n.kind, "canal": n.channel, "creee_le": n.created_at, "envoyee_le": n.sent_at, "etat": n.status}
            for n in Notification.objects.filter(channel=NotificationChannel.EMAIL, recipient=user.email).order_by(
                "created_at", "pk"
            )
        ],
    }


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    year = moment.year - years
    return moment.replace(year=year, day=min(moment.day, calendar.monthrange(year, moment.month)[1]))


def inactive_accounts(*, now: datetime.datetime):
    """Accounts nobody has used for the retention period and nothing still needs: no login since the cutoff (or
    none at all, joined before it), no mission running today in the registry, no current position in the
    organisation, not an administrator, not anonymised already."""
    cutoff = years_before(now, settings.RETENTION_INACTIVE_ACCOUNTS_YEARS)
    today = timezone.localdate(now)
    accounts = User.objects.filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff), is_superuser=False
    ).exclude(email__endswith=ANONYMOUS_DOMAIN)
    # What still needs an account is for each app to say (PERSONAL_DATA_KEEP_HOOKS: a running mission in the
    # registry, a current position in the organisation): accounts, which every domain app depends on, names none.
    for hook in settings.PERSONAL_DATA_KEEP_HOOKS:
        accounts = accounts.exclude(pk__in=import_string(hook)(today=today))
    return accounts


def _anonymous_email(pk_expression) -> Concat:
    return Concat(Value("anonyme-"), Cast(pk_expression, models.CharField()), Value(ANONYMOUS_DOMAIN))


BATCH = 500  # accounts per statement: well under any database's limit of query parameters


@transaction.atomic
def purge(*, now: datetime.datetime) -> dict[str, int]:
    pks = list(inactive_accounts(now=now).values_list("pk", flat=True))
    counts = {"comptes": 0, "liens de connexion": 0, "jetons d'API": 0, "notifications": 0}
    for start in range(0, len(pks), BATCH):
        for name, count in _anonymise(pks[start : start + BATCH]).items():
            counts[name] += count
    if counts["comptes"]:
        journal.record(
            actor=None,
            action="accounts.inactive_anonymised",
            message=(
                f"{quantity(counts['comptes'], 'compte')} sans connexion depuis "
                f"{quantity(settings.RETENTION_INACTIVE_ACCOUNTS_YEARS, 'an')} "
                f"{plural(counts['comptes'], 'anonymisé')}"
            ),
            visibility=Visibility.INTERNAL,
            data=counts,
        )
    return counts


def _replace_value(data, old: str, new: str, *, inside: bool):
    """`old` replaced by `new` in every string value of a JSON document: whole values, or also inside them."""
    if isinstance(data, dict):
        return {key: _replace_value(value, old, new, inside=inside) for key, value in data.items()}
    if isinstance(data, list):
        return [_replace_value(value, old, new, inside=inside) for value in data]
    if isinstance(data, str):
        return data.replace(old, new) if inside else (new if data == old else data)
    return data


def _forget_in_journal(*, anonymous: str, email: str, username: str | None, full_name: str) -> None:
    """The journal's messages quote people by address and by name ("réattribuée de Paul Burgun à …"), its data by
    username ({"from": "paul.burgun"}), and by username when they have no name: all become the anonymised address. A
    name is only replaced whole (first and last name), a username inside a text only when it reads like one
    ("prenom.nom", else only a whole value): a first name or a short word alone would erase other people's words."""
    readable_username = username if username and any(c in username for c in ".-_") else ""
    for needle in (email, full_name, readable_username):
        if needle:
            JournalEntry.objects.filter(message__contains=needle).update(
                message=Replace("message", Value(needle), Value(anonymous))
            )
    if username:
        escaped = json.dumps(username)[1:-1]  # SQLite keeps Django's \u escapes, PostgreSQL the characters
        rows = JournalEntry.objects.annotate(text=Cast("data", models.TextField())).filter(
            Q(text__contains=username) | Q(text__contains=escaped)
        )
        for entry in rows.only("pk", "data"):
            JournalEntry.objects.filter(pk=entry.pk).update(
                data=_replace_value(entry.data, username, anonymous, inside=bool(readable_username))
            )


def _anonymise(pks: list[int]) -> dict[str, int]:
    chosen = User.objects.filter(pk__in=pks)
    # The outbox names them by address: those rows now name the anonymised address and say nothing more; what was
    # still to send (or to send again) is not sent.
    notifications = Notification.objects.filter(
        channel=NotificationChannel.EMAIL, recipient__in=chosen.values("email")
    ).update(
        recipient=_anonymous_email(
            models.Subquery(User.objects.filter(email=models.OuterRef("recipient")).values("pk")[:1])
        ),
        subject=ANONYMISED,
        body=ANONYMISED,
        status=models.Case(
            models.When(
                status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED],
                then=Value(NotificationStatus.EXPIRED),
            ),
            default=models.F("status"),
        ),
    )
    # The journal keeps the facts and who did them (the anonymised account): the rows about an account name it by
    # its anonymised address, which replaces its address and name in messages and its username in data.
    user_type = ContentType.objects.get_for_model(User)
    JournalEntry.objects.filter(content_type=user_type, object_id__in=[str(pk) for pk in pks]).update(
        object_repr=Concat(Value("anonyme-"), "object_id", Value(ANONYMOUS_DOMAIN))
    )
    for pk, email, username, first_name, last_name in chosen.values_list(
        "pk", "email", "username", "first_name", "last_name"
    ):
        _forget_in_journal(
            anonymous=f"anonyme-{pk}{ANONYMOUS_DOMAIN}",
            email=email,
            username=username,
            full_name=f"{first_name} {last_name}" if first_name.strip() and last_name.strip() else "",
        )
    login_tokens, _ = LoginToken.objects.filter(user__in=pks).delete()
    api_tokens, _ = ApiToken.objects.filter(user__in=pks).delete()
    count = chosen.update(
        email=_anonymous_email("pk"),
        username=None,
        first_name="",
        last_name="",
        is_active=False,
        is_staff=False,
        is_incubator_staff=False,
        proconnect_sub=None,  # no longer linked to a ProConnect identity
        password="!",  # an unusable password (Django's mark); nothing of the old hash stays
    )
    return {
        "comptes": count,
        "liens de connexion": login_tokens,
        "jetons d'API": api_tokens,
        "notifications": notifications,
    }
