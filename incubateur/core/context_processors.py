from django.conf import settings

from incubateur.core.roles import role_of


def platform(request):
    """What every page's layout needs. Reads no database beyond the session's user."""
    role = role_of(getattr(request, "user", None))
    return {
        "SERVICE_NAME": "Incubateur de services numériques",
        "SERVICE_TAGLINE": "Le département de la DINUM qui coordonne beta.gouv.fr",
        "current_role": role,
        "DEBUG": settings.DEBUG,
    }
