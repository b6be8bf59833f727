"""Access-matrix rows (tests/access.py) for this part of the project: the public journal and the commitments,
open to everyone (the API without a token too). A commitment's download is a 404 until the worker computed it, and
for an unknown key."""

from incubateur.transparency import commitments
from tests.access import Row, everyone


def _computed(suffix: str):
    def url(world) -> str:

        commitments.refresh()
        return f"/engagements/premiere-reponse.{suffix}"

    return url


ROWS: list[Row] = [
    Row("transparency:journal", everyone(200)),
    Row("transparency:journal_feed", everyone(200)),
    Row("api-v1:transparency_journal", everyone(200)),
    Row("transparency:commitments", everyone(200)),
    Row("transparency:commitment_csv", everyone(200), url=_computed("csv")),
    Row("transparency:commitment_json", everyone(200), url=_computed("json")),
    Row("transparency:commitment_csv", everyone(404), url=lambda world: "/engagements/inconnu.csv"),
]
