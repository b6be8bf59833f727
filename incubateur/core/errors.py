"""The two refusals every write service may raise, mapped once: for pages by `core.middleware.ServiceErrors`
(NotAllowed → 404) and `ui.forms.run_service` (messages on the form), for the API by `config/api.py` (NotAllowed →
400 in the validation errors' shape, Stale → 409)."""


class NotAllowed(Exception):
    """The action is not open to this person on this object. Pages answer 404; the API a 400 whose `loc` names
    `field` when the refusal is about one field (empty otherwise)."""

    def __init__(self, message: str = "", *, field: str = ""):
        super().__init__(message)
        self.field = field


class Stale(Exception):
    """The object changed since the person read it (optimistic locking: another save came first). `version` is
    the object's current version when it is known (the API's 409 gives it)."""

    def __init__(self, message: str, *, version: int | None = None):
        super().__init__(message)
        self.version = version
