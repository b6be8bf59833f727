from ninja import Router

router = Router(tags=["transparence"])

from incubateur.transparency.api import journal  # noqa: E402, F401  (helper J: /journal)
