"""The registry as JSON: /api/v1/ (`endpoints`, `schemas`; config/api.py adds `router`) and beta.gouv.fr's
/api/v2.7/ drop-in (`v27`, served by `registry/urls_v27.py`).

`missions` and `joining` add their operations to the same router as `endpoints`: one path (`/members`) may then
answer both GET (a list) and POST (a creation), which two routers cannot share."""

from incubateur.registry.api import joining, missions
from incubateur.registry.api.endpoints import router

__all__ = ["joining", "missions", "router"]
