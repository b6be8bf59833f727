"""import-linter contract types of the project (named in pyproject.toml's [tool.importlinter]).

`public_api`: one app reads another only through that app's public modules. For every direct import from a module
of app A to a module of another app B (both listed in `apps`, A not in `exempt_importers`), the imported module,
relative to B, must be B itself (its package's `__init__`) or one of `public_modules`; a name ending in `.**` also
allows what the package holds (`services.**` allows `services.tickets`), a plain name only the module itself.
"""

import grimp
from importlinter import Contract, ContractCheck, fields, output


def _allowed(relative: str, patterns: set[str]) -> bool:
    if relative == "":
        return True
    for pattern in patterns:
        if pattern.endswith(".**"):
            base = pattern[:-3]
            if relative == base or relative.startswith(base + "."):
                return True
        elif relative == pattern:
            return True
    return False


class PublicApiContract(Contract):
    type_name = "public_api"

    apps = fields.ListField(subfield=fields.StringField())
    public_modules = fields.ListField(subfield=fields.StringField())
    exempt_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        apps = list(self.apps)  # type: ignore[call-overload]
        patterns = set(self.public_modules)  # type: ignore[call-overload]
        exempt = set(self.exempt_importers or [])  # type: ignore[call-overload]
        breaches = []
        for importer_app in apps:
            if importer_app in exempt:
                continue
            importers = {importer_app} | graph.find_descendants(importer_app)
            for importer in sorted(importers):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    owner = next((app for app in apps if imported == app or imported.startswith(app + ".")), None)
                    if owner is None or owner == importer_app:
                        continue
                    relative = imported[len(owner) + 1 :] if imported != owner else ""
                    if not _allowed(relative, patterns):
                        details = graph.get_import_details(importer=importer, imported=imported)
                        lines = ", ".join(str(d["line_number"]) for d in details)
                        breaches.append(f"{importer} -> {imported} (l. {lines})")
        return ContractCheck(kept=not breaches, metadata={"breaches": breaches})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for breach in check.metadata["breaches"]:
            output.print_error(f"- {breach}", bold=False)
            output.new_line()
        output.print(
            "Read another app through its models, services, selectors or package (ARCHITECTURE.md, 'Who may import "
            "whom'); move what you need there, or make it a public module of that app."
        )
