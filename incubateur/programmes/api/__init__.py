"""/api/v1/ of the programmes (see `endpoints`); config/api.py adds `router`."""

from incubateur.programmes.api.endpoints import router

__all__ = ["router"]
