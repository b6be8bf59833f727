"""/api/v1/ of the guichet: `router` (config/api.py adds it). Schemas in `schemas`, operations in `endpoints`."""

from incubateur.guichet.api.endpoints import router

__all__ = ["router"]
