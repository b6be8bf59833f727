"""Who may see the portfolio boards and record committees: one function per decision."""

from django.conf import settings

from incubateur.core.roles import is_admin, is_staff
from incubateur.organisation.models import Portfolio, Position


def can_record_committees(user) -> bool:
    """Record a product's comité d'investissement: the Incubator's staff."""
    return is_staff(user)


def _current_positions(user):
    return Position.objects.current().filter(person=user).select_related("pole")


def sees_every_board(user) -> bool:
    """Pole leads, the direction and administrators see the boards of every portfolio."""
    if is_admin(user):
        return True
    if not is_staff(user):
        return False
    return any(p.is_lead or p.pole.slug == settings.PROGRAMMES_DIRECTION_POLE for p in _current_positions(user))


def can_see_board(user, manager) -> bool:
    """A portfolio manager's board: that manager, pole leads, the direction, administrators."""
    if not is_staff(user):
        return False
    return user.pk == manager.pk or sees_every_board(user)


def manages_a_portfolio(user) -> bool:
    return is_staff(user) and Portfolio.objects.filter(manager=user).exists()
