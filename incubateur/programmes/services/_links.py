from django.conf import settings
from django.urls import reverse


def link(name: str, *args) -> str:
    """The absolute address of a page (for e-mails)."""
    return settings.BASE_URL + reverse(name, args=args)
