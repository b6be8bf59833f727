"""What the organisation says about personal data: who it still needs (PERSONAL_DATA_KEEP_HOOKS)."""

from incubateur.organisation.models import Position


def accounts_in_use(*, today):
    """Accounts the organisation still needs: people holding a position today."""
    return Position.objects.current(today).values("person")
