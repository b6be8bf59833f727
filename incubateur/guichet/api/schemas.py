"""The guichet API's schemas: what comes in, and what goes out, read from the models themselves (a request, a
message, an offer; a person from their account through `PersonOut`). Moments are `datetime`s: config/api.py renders
them in Paris time with their offset."""

from datetime import datetime

from ninja import Field, Schema

from incubateur.core.api import PersonOut
from incubateur.guichet.kinds import Kind
from incubateur.guichet.models import OfferStatus, Status

IDEMPOTENCY_HELP = (
    "Une clé de votre choix (100 caractères au plus) : renvoyée avec la même clé, la demande n'est créée qu'une fois."
)


class ConflictOut(Schema):
    detail: str
    version: int = Field(description="La version actuelle de la demande.")


class RequestIn(Schema):
    kind: str = Field(description="Type de demande : " + ", ".join(Kind.values) + ".")
    topic: str = Field("", description="Sujet, pour « soutien-dinum » seulement.")
    subject: str = Field(description="Objet (200 caractères au plus).")
    body: str = Field(description="Message.")
    startup: str | None = Field(None, description="Identifiant d'un produit dont vous êtes dans l'équipe active.")
    ministry: str | None = Field(None, description="Code d'un domaine ministériel (partenariat).")
    recipient: str | None = Field(
        None,
        description="Identifiant de la personne de l'Incubateur qui lira la demande (obligatoire pour "
        "« mal-etre » et « signalement », possible pour une demande marquée confidentielle).",
    )
    confidential: bool = Field(False, description="Confidentielle : lue seulement par vous et son destinataire.")


class RequestOut(Schema):
    """A request (`Ticket`), named by its reference (random: ids are sequential, and would tell that confidential
    requests were made between two that one sees)."""

    reference: str = Field(description="Référence de la demande (ex. G-7K3Q-M2XR) : elle la nomme dans l'adresse.")
    kind: str
    topic: str
    subject: str
    status: str
    confidential: bool
    startup: str | None = Field(description="Identifiant du produit concerné.")
    ministry: str
    requester: PersonOut
    assignee: PersonOut | None
    routing_reason: str = Field(description="Pourquoi cette personne traite la demande.")
    first_response_due: datetime = Field(description="Première réponse attendue avant (ISO 8601).")
    first_response_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="À renvoyer avec un changement de statut (modification concurrente : 409).")

    @staticmethod
    def resolve_startup(ticket) -> str | None:
        return ticket.product.ghid if ticket.product_id else None


class RequestList(Schema):
    """A page of requests, newest first. Follow `next` (it carries `after`) to read the following page."""

    items: list[RequestOut]
    count: int = Field(
        description="Nombre de demandes correspondant aux filtres, compté jusqu'à 1 000 : au-delà, 1 000 et "
        "`count_capped` vaut true."
    )
    count_capped: bool = Field(False, description="true : il y a plus de demandes que `count`.")
    next: str | None = Field(None, description="L'adresse de la page suivante (paramètre `after`), null à la fin.")


class MessageIn(Schema):
    body: str
    internal: bool = Field(False, description="Note interne : jamais visible par l'auteur de la demande.")


class MessageOut(Schema):
    """A message (`Message`)."""

    id: int
    author: PersonOut | None
    body: str
    internal: bool
    created_at: datetime


class ReadOut(Schema):
    """A read of a confidential request (`Read`): who, and when."""

    username: str | None
    fullname: str
    at: datetime

    @staticmethod
    def resolve_username(read) -> str | None:
        return PersonOut.resolve_username(read.user)

    @staticmethod
    def resolve_fullname(read) -> str:
        return PersonOut.resolve_fullname(read.user)


class RequestDetailOut(RequestOut):
    """A request as one caller may read it: the endpoint gives the caller's part (`thread`, `allowed_statuses`,
    `people_with_access`, `read_by`) as attributes of the request."""

    body: str
    messages: list[MessageOut] = Field(description="Réponses, et notes internes pour qui traite la demande.")
    allowed_statuses: list[str] = Field(description="Les statuts que vous pouvez lui donner.")
    participants: list[str | None] | None = Field(
        description="Demande confidentielle : identifiants des personnes qui y ont accès (null sinon)."
    )
    reads: list[ReadOut] | None = Field(description="Demande confidentielle : qui l'a consultée (null sinon).")

    @staticmethod
    def resolve_messages(ticket) -> list:
        return ticket.thread

    @staticmethod
    def resolve_participants(ticket) -> list | None:
        return ticket.people_with_access

    @staticmethod
    def resolve_reads(ticket) -> list | None:
        return ticket.read_by


class RequestFilters(Schema):
    status: Status | None = Field(None, description="Statut.")
    kind: Kind | None = Field(None, description="Type de demande.")
    mine: bool = Field(
        False,
        description="true : seulement vos demandes (et celles que votre équipe a acceptées comme offre d'aide).",
    )
    after: str | None = Field(
        None,
        description="Curseur de pagination (recommandé) : la valeur donnée par `next`. La page commence après la "
        "dernière demande de la précédente, sans `offset`.",
        max_length=300,
    )


class StatusIn(Schema):
    status: str = Field(description="Nouveau statut : " + ", ".join(Status.values) + ".")
    version: int | None = Field(None, description="La version lue : refusé (409) si la demande a changé depuis.")


class OfferIn(Schema):
    startup: str = Field(description="Identifiant du produit.")
    topic: str
    message: str


class DeclineIn(Schema):
    reason: str = Field("", description="Raison du refus (facultative).")


class OfferOut(Schema):
    """An offer of help (`Offer`)."""

    id: int
    startup: str
    topic: str
    message: str
    status: str
    offered_by: PersonOut
    created_at: datetime
    decided_by: PersonOut | None
    decided_at: datetime | None
    decline_reason: str
    request: str | None = Field(description="La référence de la demande ouverte quand l'équipe a accepté.")

    @staticmethod
    def resolve_startup(offer) -> str:
        return offer.product.ghid

    @staticmethod
    def resolve_request(offer) -> str | None:
        return offer.ticket.reference if offer.ticket_id else None


class OfferList(Schema):
    items: list[OfferOut]
    count: int


class OfferFilters(Schema):
    status: OfferStatus | None = Field(None, description="Statut de l'offre.")
