"""The tests' organisation: the fictional `tests/fixtures/organisation.yaml`, and the product it routes to its
Justice portfolio manager. Tests whose subject is data/organisation.yaml itself load that file instead
(`REAL_ORGANISATION_FILE`)."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from tests.registry.factories import OrganisationFactory, ProductFactory

ORGANISATION_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "organisation.yaml"
REAL_ORGANISATION_FILE = Path(settings.BASE_DIR) / "data" / "organisation.yaml"


def load_organisation(*, routing: bool = False, path: str | Path = ORGANISATION_FILE) -> str:
    """Load the fictional organisation (as `manage.py load_organisation` does) and, with `routing`, the default
    routing table; returns the command's report."""
    out = StringIO()
    call_command("load_organisation", str(path), stdout=out)
    if routing:
        call_command("load_routing", stdout=StringIO())
    return out.getvalue()


def justice_product(ghid: str = "justice-pour-tous", name: str = "Justice pour tous", **fields):
    """A product sponsored by a Justice organisation (no themes: the ministry decides its portfolio)."""
    sponsor = OrganisationFactory(ghid="dir-justice", name="Direction de la Justice", domaine_ministeriel="justice")
    product = ProductFactory(ghid=ghid, name=name, phase=fields.pop("phase", "construction"), **fields)
    product.productsponsor_set.create(organisation=sponsor, order=0)
    return product
