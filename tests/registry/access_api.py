"""Access-matrix rows for the registry's APIs, /api/v2.7/ and /api/v1/ (tests/access.py collects them).

Everything is public, whatever the session: the APIs ignore the session (v1 reads a bearer token, tested apart).
The detail routes make the object they read (the matrix's `world` knows nothing of the registry).
"""

from incubateur.registry.models import Product
from tests.access import Row, everyone
from tests.registry.factories import IncubatorFactory, MemberFactory, OrganisationFactory


def _startup(world) -> str:
    product, _ = Product.objects.get_or_create(ghid="produit-matrice", defaults={"name": "Produit", "pitch": "Pitch"})
    return f"/api/v1/startups/{product.ghid}"


def _v3_startup(world) -> str:
    product, _ = Product.objects.get_or_create(ghid="produit.matrice", defaults={"name": "Produit", "pitch": "Pitch"})
    return f"/api/v3/startups/{product.ghid}.json"


def _old_address(world) -> str:
    Product.objects.get_or_create(
        ghid="produit-matrice", defaults={"name": "Produit", "pitch": "Pitch", "redirect_from": ["/startups/ancien"]}
    )
    return "/startups/produit-matrice.html"


def _incubator(world) -> str:
    return f"/api/v1/incubators/{IncubatorFactory().ghid}"


def _organisation(world) -> str:
    return f"/api/v1/organisations/{OrganisationFactory().ghid}"


def _member(world) -> str:
    return f"/api/v1/members/{MemberFactory().username}"


ROWS: list = [
    # /api/v2.7/ (beta.gouv.fr drop-in)
    Row("api-v2.7:authors", everyone(200)),
    Row("api-v2.7:startups", everyone(200)),
    Row("api-v2.7:incubators", everyone(200)),
    Row("api-v2.7:organisations", everyone(200)),
    Row("api-v2.7:sponsors", everyone(200)),
    Row("api-v2.7:startups_csv", everyone(200)),
    Row("api-v2.7:startups_details", everyone(200)),
    # /api/v3/startups/<id>.json and /compteur_smiirl.json (beta.gouv.fr drop-in)
    Row("api-v3:startup", everyone(200), url=_v3_startup),
    Row("betagouv-files:compteur_smiirl", everyone(200)),
    # beta.gouv.fr's address of a product page: a permanent redirect to ours
    Row("registry:product_old_address", everyone(301), url=_old_address),
    # /api/v1/
    Row("api-v1:registry_startups", everyone(200)),
    Row("api-v1:registry_startup", everyone(200), url=_startup),
    Row("api-v1:registry_incubators", everyone(200)),
    Row("api-v1:registry_incubator", everyone(200), url=_incubator),
    Row("api-v1:registry_organisations", everyone(200)),
    Row("api-v1:registry_organisation", everyone(200), url=_organisation),
    Row("api-v1:registry_members", everyone(200)),
    Row("api-v1:registry_member", everyone(200), url=_member),
]
