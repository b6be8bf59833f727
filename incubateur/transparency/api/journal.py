"""/api/v1/journal: the public journal (see `transparency.journal`), paginated, for anyone."""

from ninja import Field, Query, Schema

from incubateur.core.api import BadRequestOut, Page, when
from incubateur.transparency import journal as public_journal
from incubateur.transparency.api import router


class JournalFilters(Schema):
    pole: str | None = Field(None, description="Identifiant d'un pôle.")
    kind: str | None = Field(None, description="Type : " + ", ".join(public_journal.KINDS) + ".")
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="Mois, AAAA-MM.")


class JournalEntryOut(Schema):
    at: str
    action: str
    kind: str
    message: str
    url: str | None
    data: dict


class JournalList(Schema):
    count: int
    items: list[JournalEntryOut]


@router.get("/journal", response={200: JournalList, 400: BadRequestOut}, auth=None, url_name="transparency_journal")
def journal_list(request, page: Query[Page], filters: Query[JournalFilters]):
    """Les actions publiques de l'Incubateur, les plus récentes d'abord."""
    rows = public_journal.filtered(pole=filters.pole, kind=filters.kind, month=filters.month)
    items = []
    for entry in rows[page.offset : page.offset + page.limit]:
        row = public_journal.present(entry)
        items.append(
            {**row, "at": when(row["at"]), "url": request.build_absolute_uri(row["url"]) if row["url"] else None}
        )
    return {"count": rows.count(), "items": items}
