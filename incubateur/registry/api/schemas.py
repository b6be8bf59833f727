"""/api/v1/'s registry schemas: the query parameters (filters) and the responses.

Organisations, incubators and products are read from their rows (with what `registry.selectors` prefetches):
the `resolve_*` methods give the keys that are not a column. A member is built by hand (`endpoints._member`): its
personal keys are left out, not null, without a token.
"""

import enum
from datetime import date

from ninja import Field, Schema

from incubateur.core.ministries import MINISTRIES
from incubateur.registry.enums import ACTIVE_PHASES, Domaine, PhaseName

TOKEN_ONLY = "Avec un jeton d'API seulement (absent sinon)."


def strings(values) -> list[str]:
    """A JSON list of the registry (themes, technologies…) as texts."""
    return [str(v) for v in values or []]


Ministry = enum.Enum("Ministry", {code.replace("-", "_"): code for code in MINISTRIES}, type=str)


# --- Query parameters -------------------------------------------------------------------------------


class StartupFilters(Schema):
    incubator: str | None = Field(None, description="Identifiant d'un de ses incubateurs (principal ou non).")
    phase: PhaseName | None = Field(None, description="Phase actuelle (celle qui a commencé en dernier).")
    ministry: Ministry | None = Field(None, description="Domaine ministériel d'un de ses sponsors.")
    thematique: str | None = Field(None, max_length=200, description="Thématique, sans casse ni accents.")
    active: bool | None = Field(None, description="Phase actuelle active (investigation à consolidation, opérée).")


class MemberFilters(Schema):
    active: bool | None = Field(None, description="Une mission en cours aujourd'hui.")
    incubator: str | None = Field(None, description="Une mission (passée ou en cours) sur un produit de l'incubateur.")
    startup: str | None = Field(None, description="Une mission (passée ou en cours) sur ce produit.")
    domaine: Domaine | None = Field(None, description="Domaine du membre.")


class OrganisationFilters(Schema):
    ministry: Ministry | None = Field(None, description="Domaine ministériel.")


# --- Responses --------------------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: str
    name: str
    acronym: str
    domaine_ministeriel: str
    type: str

    @staticmethod
    def resolve_id(organisation) -> str:
        return organisation.ghid


class IncubatorOut(Schema):
    id: str
    title: str
    short_description: str
    description: str
    owner: str | None = Field(description="Identifiant de l'organisation porteuse.")
    contact: str
    address: str
    website: str
    github: str
    logo: str
    highlighted_startups: list[str]

    @staticmethod
    def resolve_id(incubator) -> str:
        return incubator.ghid

    @staticmethod
    def resolve_owner(incubator) -> str | None:
        return incubator.owner.ghid if incubator.owner else None

    @staticmethod
    def resolve_highlighted_startups(incubator) -> list[str]:
        return strings(incubator.highlighted_products)


class PhaseOut(Schema):
    name: str
    start: date
    end: date | None
    comment: str


class EventOut(Schema):
    name: str
    date: date
    comment: str


class StartupOut(Schema):
    id: str
    name: str
    pitch: str
    description: str = Field(description="Markdown.")
    contact: str
    link: str
    repository: str
    stats_url: str
    budget_url: str
    impact_url: str
    dashlord_url: str
    accessibility_status: str
    analyse_risques: bool | None
    analyse_risques_url: str
    mon_service_securise: bool | None
    thematiques: list[str]
    usertypes: list[str]
    technos: list[str]
    current_phase: str | None
    active: bool
    incubator: str | None = Field(description="Incubateur principal.")
    incubators: list[str] = Field(description="Tous ses incubateurs, le principal en premier.")
    sponsors: list[str]
    contact_dinum: str
    contact_incubator: str
    fast_promotion: int | None
    fast_amount: int | None
    phases: list[PhaseOut]
    events: list[EventOut]

    @staticmethod
    def resolve_id(product) -> str:
        return product.ghid

    @staticmethod
    def resolve_thematiques(product) -> list[str]:
        return strings(product.thematiques)

    @staticmethod
    def resolve_usertypes(product) -> list[str]:
        return strings(product.usertypes)

    @staticmethod
    def resolve_technos(product) -> list[str]:
        return strings(product.techno)

    @staticmethod
    def resolve_active(product) -> bool:
        return product.current_phase in ACTIVE_PHASES  # annotated by `with_current_phase()`

    @staticmethod
    def resolve_incubator(product) -> str | None:
        return next((link.incubator.ghid for link in product.productincubator_set.all() if link.is_principal), None)

    @staticmethod
    def resolve_incubators(product) -> list[str]:
        return [link.incubator.ghid for link in product.productincubator_set.all()]

    @staticmethod
    def resolve_sponsors(product) -> list[str]:
        return [link.organisation.ghid for link in product.productsponsor_set.all()]


class MissionOut(Schema):
    start: date
    end: date | None
    status: str
    startups: list[str]
    employer: str | None = Field(None, description=TOKEN_ONLY)


class MemberOut(Schema):
    id: str
    fullname: str
    role: str
    domaine: str
    member_type: str
    bio: str = Field(description="Markdown.")
    link: str
    github: str
    avatar: str
    competences: list[str]
    teams: list[str]
    active: bool = Field(description="Une mission en cours aujourd'hui.")
    missions: list[MissionOut]
    email: str | None = Field(None, description=f"Adresse du compte lié au membre. {TOKEN_ONLY}")


class OrganisationList(Schema):
    items: list[OrganisationOut]
    count: int


class IncubatorList(Schema):
    items: list[IncubatorOut]
    count: int


class StartupList(Schema):
    items: list[StartupOut]
    count: int


class MemberList(Schema):
    items: list[MemberOut]
    count: int
