"""Access-matrix rows for the registry's pages (tests/access.py collects them).

The registry is public: every read page answers 200 to everyone. The edit pages need an account (anonymous people
are sent to the login page) and a permission: the matrix's community member has no member fiche and is in no
team of the product, so they get a 404; Incubator staff edit every product but not someone else's fiche;
administrators edit everything.
"""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, everyone
from tests.registry.factories import MemberFactory, OrganisationFactory, ProductFactory


def _registry(world: dict) -> dict:
    """Registry objects added to the matrix's `world` on first use (the factories get or create them)."""
    if "registry_product" not in world:
        product = ProductFactory(ghid="produit-matrice", name="Produit de la matrice", phase="construction")
        world["registry_product"] = product
        world["registry_incubator"] = product.principal_incubator
        world["registry_organisation"] = OrganisationFactory(ghid="organisation-matrice")
        world["registry_member"] = MemberFactory(username="membre.matrice", fullname="Membre Matrice")
    return world


def _product(world):
    return _registry(world)["registry_product"].ghid


def _incubator(world):
    return _registry(world)["registry_incubator"].ghid


def _organisation(world):
    return _registry(world)["registry_organisation"].ghid


def _member(world):
    return _registry(world)["registry_member"].username


ROWS: list[Row] = [
    Row("registry:product_list", everyone(200)),
    Row("registry:product_detail", everyone(200), url=lambda world: f"/produits/{_product(world)}/"),
    Row(
        "registry:product_edit",
        {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200},
        url=lambda world: f"/produits/{_product(world)}/modifier/",
    ),
    Row(
        "registry:product_phases",
        {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200},
        url=lambda world: f"/produits/{_product(world)}/phases/",
    ),
    Row("registry:incubator_list", everyone(200)),
    Row("registry:incubator_detail", everyone(200), url=lambda world: f"/incubateurs/{_incubator(world)}/"),
    Row("registry:organisation_detail", everyone(200), url=lambda world: f"/organisations/{_organisation(world)}/"),
    Row("registry:member_detail", everyone(200), url=lambda world: f"/membres/{_member(world)}/"),
    Row(
        "registry:member_edit",
        {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 200},
        url=lambda world: f"/membres/{_member(world)}/modifier/",
    ),
]
