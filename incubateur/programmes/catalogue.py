"""The Incubator's programmes (FAST, consolidation, FINDPE, EIG défis and candidats, AIC), created by
`manage.py load_programmes` on a fresh database so staff can open calls at once. Their calls, rules and amounts are
data staff enter per call: they change yearly."""

from incubateur.programmes.history import FAST
from incubateur.programmes.models import Programme

PROGRAMMES = [
    FAST,
    {
        "slug": "consolidation",
        "name": "Programme de consolidation",
        "description": (
            "Le successeur du FAST depuis 2026 : six mois d'accompagnement pour préparer la sortie d'incubation "
            "des produits qui ont fait la preuve de leur impact."
        ),
    },
    {
        "slug": "findpe",
        "name": "Fonds numérique pour la planification écologique",
        "description": "Le fonds de 2024 pour les services numériques de la planification écologique.",
    },
    {
        "slug": "eig-defis",
        "name": "Entrepreneurs d'intérêt général — défis",
        "description": "Les administrations proposent un défi ; les lauréates accueillent des EIG.",
    },
    {
        "slug": "eig-candidats",
        "name": "Entrepreneurs d'intérêt général — candidats",
        "description": "Les talents du numérique candidatent pour relever un défi d'une administration.",
    },
    {
        "slug": "aic",
        "name": "Accélérateur d'initiatives citoyennes",
        "description": "Un accompagnement de douze mois pour les initiatives citoyennes d'intérêt général.",
    },
]


def load_programmes() -> int:
    """Create the programmes that do not exist yet (by slug); returns how many were created."""
    created = 0
    for order, spec in enumerate(PROGRAMMES):
        _, was_created = Programme.objects.get_or_create(slug=spec["slug"], defaults={**spec, "order": order})
        created += was_created
    return created
