"""The registry as JSON: /api/v1/ (`endpoints`, `schemas`; config/api.py adds `router`) and beta.gouv.fr's
/api/v2.7/ drop-in (`v27`, served by `registry/urls_v27.py`)."""

from incubateur.registry.api.endpoints import router

__all__ = ["router"]
