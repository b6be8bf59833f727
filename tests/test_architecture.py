"""The import contracts of pyproject.toml (run by `make lint` with `lint-imports`) can fail: each is checked here
against a small import graph with one breach of it, and against the same graph without the breach."""

from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.contracts.private_modules import PrivateModulesContract

from tests.import_contracts import PublicApiContract

CONFIG = read_configuration(str(Path(__file__).resolve().parent.parent / "pyproject.toml"))
TYPES = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "public_api": PublicApiContract,
    "private_modules": PrivateModulesContract,
}
APPS = [
    "synthetic",
    "public",
    "transparency",
    "portfolios",
    "programmes",
    "recruitment",
    "guichet",
    "community",
    "organisation",
    "registry",
    "accounts",
    "ui",
    "core",
]
ALLOWED = [
    ("incubateur.programmes.services", "incubateur.registry.models"),
    ("incubateur.portfolios.selectors", "incubateur.guichet.services.tickets"),
    ("incubateur.programmes.history", "incubateur.registry.content"),
    ("incubateur.guichet.views.desk", "incubateur.guichet.forms.desk"),
    ("incubateur.guichet.models", "incubateur.core.errors"),
    ("incubateur.synthetic.generator", "incubateur.guichet.routing"),
    ("config.api", "incubateur.core.errors"),
]
# One breach per contract id.
BREACHES = {
    "layers": ("incubateur.core.notifications", "incubateur.guichet.models"),
    "no-synthetic": ("incubateur.registry.services", "incubateur.synthetic.generator"),
    "public-api": ("incubateur.programmes.history", "incubateur.registry.content._reading"),
    "private": ("incubateur.portfolios.views", "incubateur.registry.content._reading"),
}


def contract(contract_id: str):
    options = next(o for o in CONFIG["contracts_options"] if o.get("id") == contract_id)
    options = {key: value for key, value in options.items() if key not in ("id", "name", "type")}
    return TYPES[next(o for o in CONFIG["contracts_options"] if o.get("id") == contract_id)["type"]](
        name=contract_id, session_options=CONFIG["session_options"], contract_options=options
    )


def graph(*extra: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    graph.add_module("incubateur")
    graph.add_module("config")
    for app in APPS:
        graph.add_module(f"incubateur.{app}")
    for importer, imported in [*ALLOWED, *extra]:
        for name in (importer, imported):
            parts = name.split(".")
            for i in range(2, len(parts) + 1):
                graph.add_module(".".join(parts[:i]))
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    return graph


def test_every_contract_has_a_breach_here():
    assert {o["id"] for o in CONFIG["contracts_options"]} == set(BREACHES)


@pytest.mark.parametrize("contract_id", sorted(BREACHES))
def test_contract_is_kept_without_the_breach(contract_id):
    assert contract(contract_id).check(graph(), verbose=False).kept


@pytest.mark.parametrize("contract_id", sorted(BREACHES))
def test_contract_fails_on_a_breach(contract_id):
    assert not contract(contract_id).check(graph(BREACHES[contract_id]), verbose=False).kept


def test_public_api_names_the_breach():
    check = contract("public-api").check(graph(BREACHES["public-api"]), verbose=False)
    assert check.metadata["breaches"] == [
        "incubateur.programmes.history -> incubateur.registry.content._reading (l. 1)"
    ]
