"""Access-matrix rows (tests/access.py) for the public statistics (#17): every page and download is public."""

from tests.access import Row, everyone

KEY = "produits-par-phase"

ROWS: list[Row] = [
    Row("transparency:statistics", everyone(200)),
    Row("transparency:statistics_indicator", everyone(200), url=lambda world: f"/statistiques/{KEY}/"),
    Row("transparency:statistics_csv", everyone(200), url=lambda world: f"/statistiques/{KEY}.csv"),
    Row("transparency:statistics_json", everyone(200), url=lambda world: f"/statistiques/{KEY}.json"),
]
