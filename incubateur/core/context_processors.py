from incubateur.core.roles import role_of


def platform(request):
    """What every page's layout needs. Reads no database beyond the session's user."""
    return {"current_role": role_of(getattr(request, "user", None))}
