from functools import wraps

from django.http import Http404

from incubateur.core.roles import Role, has_role


def role_required(role: Role):
    """Deny a view to users below `role`.

    Anonymous users never get here (LoginRequiredMiddleware sends them to the login page); a logged-in
    user outside the view's scope gets a 404, not a 403: we do not confirm that the page exists.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(Role.STAFF)
