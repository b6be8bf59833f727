"""The kinds of request the guichet takes (the seed's « Pourquoi faire appel à l'Incubateur ? »).

The codes are part of the API. What a kind asks for (a topic, a chosen recipient, a product, a ministry)
and whether it is confidential by nature is written here once; who answers is data (`RoutingRule`).
"""

from dataclasses import dataclass

from django.db import models


class Kind(models.TextChoices):
    DOUTE_PRODUIT = "doute-produit", "J'ai un doute sur mon produit"
    PARTENARIAT = "partenariat", "Travailler sur un nouveau partenariat avec une administration"
    CONVENTION = "convention-devis-service-fait", "Faire avancer une convention, un devis, un service fait"
    ADMINISTRATIF = "administratif-marches", "Question administrative ou sur un marché public de la DINUM"
    SOUTIEN = "soutien-dinum", "J'ai besoin du soutien de la DINUM"
    MAL_ETRE = "mal-etre", "Je me sens mal dans mon équipe"
    COMMUNAUTE = "communaute", "Je souhaite m'investir sur un sujet de la communauté"
    SIGNALEMENT = "signalement", "Signaler un manquement aux engagements"
    AUTRE = "autre", "Autre question"


class Topic(models.TextChoices):
    """Topics of `soutien-dinum`."""

    ACCELERATION = "acceleration", "Accélération (FAST, programme de consolidation)"
    GAMMA = "gamma", "Programme Gamma"
    AIDE_TRANSVERSE = "aide-transverse", "Aide transverse"
    AUTONOMIE = "autonomie", "Négocier les conditions d'autonomie de mon équipe"
    REFINANCEMENT = "refinancement", "Refinancement"
    DEBLOCAGE = "deblocage", "Débloquer un frein"


@dataclass(frozen=True)
class KindInfo:
    explanation: str  # one line under the kind's title on /guichet/: what it is for
    confidential: bool = False  # always confidential (the requester chooses the recipient)
    needs_topic: bool = False
    asks_product: bool = True  # the form offers the requester's products
    asks_ministry: bool = False


KIND_INFO: dict[str, KindInfo] = {
    Kind.DOUTE_PRODUIT: KindInfo(
        "Retours sur votre produit, questions stratégiques, juridiques ou politiques, orientation vers les bonnes "
        "personnes."
    ),
    Kind.PARTENARIAT: KindInfo("Un nouveau partenariat avec une administration.", asks_ministry=True),
    Kind.CONVENTION: KindInfo("Une convention, un devis ou un service fait qui n'avance pas."),
    Kind.ADMINISTRATIF: KindInfo("Une question administrative ou sur un des marchés publics de la DINUM."),
    Kind.SOUTIEN: KindInfo(
        "FAST et programme de consolidation, programme Gamma, aide transverse, autonomie de l'équipe, "
        "refinancement, déblocage de freins.",
        needs_topic=True,
    ),
    Kind.MAL_ETRE: KindInfo(
        "Confidentiel : seule la personne de l'Incubateur que vous choisissez lira votre demande.",
        confidential=True,
        asks_product=False,
    ),
    Kind.COMMUNAUTE: KindInfo("Animer, contribuer, partager une expertise avec la communauté.", asks_product=False),
    Kind.SIGNALEMENT: KindInfo(
        "Confidentiel : un manquement de l'Incubateur à ses engagements, adressé à la personne de votre choix.",
        confidential=True,
    ),
    Kind.AUTRE: KindInfo("Tout le reste : l'équipe de direction et des opérations oriente votre demande."),
}

CONFIDENTIAL_KINDS = frozenset(code for code, info in KIND_INFO.items() if info.confidential)


def info(kind: str) -> KindInfo:
    return KIND_INFO[Kind(kind)]
