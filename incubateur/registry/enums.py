from django.db import models

from incubateur.core.ministries import MINISTRIES


class Domaine(models.TextChoices):
    # Labels spelled out: the generated ones would lose the accents ("Developpement").
    ANIMATION = "Animation", "Animation"
    COACHING = "Coaching", "Coaching"
    DEPLOIEMENT = "Déploiement", "Déploiement"
    DESIGN = "Design", "Design"
    DEVELOPPEMENT = "Développement", "Développement"
    INTRAPRENARIAT = "Intraprenariat", "Intraprenariat"
    PRODUIT = "Produit", "Produit"
    DATA = "Data", "Data"
    SUPPORT = "Support", "Support"
    ATTRIBUTAIRE = "Attributaire", "Attributaire"
    AUTRE = "Autre", "Autre"


class MemberType(models.TextChoices):
    BETA = "beta", "beta.gouv.fr"
    ATTRIBUTAIRE = "attributaire", "attributaire"
    DINUM = "dinum", "DINUM"
    AUTRE = "autre", "autre"


class MissionStatus(models.TextChoices):
    ADMIN = "admin", "agent public"
    INDEPENDENT = "independent", "indépendant"
    SERVICE = "service", "prestataire"


class PhaseName(models.TextChoices):
    INVESTIGATION = "investigation", "investigation"
    CONSTRUCTION = "construction", "construction"
    ACCELERATION = "acceleration", "accélération"
    CONSOLIDATION = "consolidation", "consolidation"
    TRANSFERE = "transfere", "transférée"
    OPERE = "opere", "opérée"
    ABANDON = "abandon", "arrêtée"
    ABANDON_INVESTIGATION = "abandon-investigation", "investigation non concluante"


# Phases in which beta.gouv.fr shows a product as active.
ACTIVE_PHASES = {
    PhaseName.INVESTIGATION,
    PhaseName.CONSTRUCTION,
    PhaseName.ACCELERATION,
    PhaseName.CONSOLIDATION,
    PhaseName.OPERE,
}


class EventName(models.TextChoices):
    COMMITTEE = "committee", "comité d'investissement"
    PRODUCT_LAUNCH = "product_launch", "lancement du produit"
    FAST = "fast", "lauréat FAST"
    NATIONAL_IMPACT = "national_impact", "impact national"
    EIG = "eig", "EIG"
    OTHER = "other", "autre"
    END = "end", "fin"


class OrganisationType(models.TextChoices):
    ADMINISTRATION_CENTRALE = "administration-centrale", "administration centrale"
    SERVICE_DECONCENTRE = "service-deconcentre", "service déconcentré"
    OPERATEUR = "operateur", "opérateur"
    SECURITE_SOCIALE = "securite-sociale", "sécurité sociale"
    COLLECTIVITE_TERRITORIALE = "collectivite-territoriale", "collectivité territoriale"
    AUTRE = "autre", "autre"


MINISTRY_CHOICES = list(MINISTRIES.items())


class ReviewState(models.TextChoices):
    """Where a member or a product created on the platform stands: its incubator validates it (#14). Everything
    imported from beta.gouv.fr is validated."""

    PENDING = "en_attente", "en attente de validation"
    VALIDATED = "valide", "validé"
    REFUSED = "refuse", "refusé"


class ReviewDecision(models.TextChoices):
    VALIDATE = "valider", "validé"
    REFUSE = "refuser", "refusé"
