"""The one role mechanism every app uses.

A user's role is derived from their account, never stored twice:

- anonymous: not logged in;
- community member: any active account (members of the beta.gouv.fr community and partners);
- Incubator staff: `is_incubator_staff`, set by the organisation app when a person holds a position;
- administrator: `is_superuser` (Django admin).

Roles are ordered: each one can do what the ones below can. Decisions about *one object* live in each
app's `perms.py` and start from these functions.
"""

from enum import IntEnum


class Role(IntEnum):
    ANONYMOUS = 0
    MEMBER = 1
    STAFF = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return {
            Role.ANONYMOUS: "visiteur",
            Role.MEMBER: "membre de la communauté",
            Role.STAFF: "équipe de l'Incubateur",
            Role.ADMIN: "administrateur",
        }[self]


def role_of(user) -> Role:
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.ANONYMOUS
    if user.is_superuser:
        return Role.ADMIN
    if getattr(user, "is_incubator_staff", False):
        return Role.STAFF
    return Role.MEMBER


def has_role(user, role: Role) -> bool:
    return role_of(user) >= role


def is_member(user) -> bool:
    return has_role(user, Role.MEMBER)


def is_staff(user) -> bool:
    """Incubator staff (or administrator)."""
    return has_role(user, Role.STAFF)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)
