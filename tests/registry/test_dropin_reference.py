"""The drop-in files against an independent reading of the beta.gouv.fr sample.

Each expected file is built here from the sample's files alone (front matter parsed with PyYAML, as Jekyll's Psych
does) following beta.gouv.fr's templates and plugins — `api/v2.7/*.json`, `api/v2.7/startups.csv`,
`_plugins/incubators.rb`, `_plugins/sponsors.rb`, `_plugins/startups.rb`, `_plugins/startup_json_generator.rb`,
`lib/models/{startup,member}.rb` — never with the platform's serialisers. Liquid prints nil as "" and a Ruby plugin
as null; Liquid's `{% if %}` is false only for nil and false (an empty list or text is true); Jekyll reads a
collection in the order of its files' names.

Where the registry deliberately normalises what it publishes, the reading says so where it applies it:
- texts are stripped of surrounding blanks and a blank text is a missing one (the importer's rule);
- an empty list of `competences` is not kept (the registry stores no difference between [] and none);
- a bio is plain text with its entities decoded (the API promises no HTML entities).
"""

import csv
import datetime
import html
import io
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from incubateur.registry.api import v27 as api_v27
from tests.utils import SAMPLE

FRONT_MATTER = re.compile(r"\A(---\s*\n.*?\n?)^((---|\.\.\.)\s*$\n?)", re.MULTILINE | re.DOTALL)


@pytest.fixture
def imported():
    call_command("import_betagouv", str(SAMPLE), stdout=StringIO())


# --- Reading the sample as Jekyll does ----------------------------------------------------------------------


def collection(name: str) -> list[tuple[str, dict, str]]:
    """(id, front matter, body) of each document of `_<name>/`, in the order of the files' names: every file with a
    front matter, whatever its extension (the sample has `_organisations/idfm`), its id its name without it."""
    docs = []
    for path in sorted(Path(SAMPLE, f"_{name}").iterdir(), key=lambda p: p.name.encode()):
        content = path.read_text(encoding="utf-8") if path.is_file() else ""
        match = FRONT_MATTER.match(content)
        if match:
            data = yaml.safe_load(match.group(1).removeprefix("---"))
            docs.append((path.stem, data or {}, content[match.end() :]))
    return docs


def text(value) -> str | None:
    """A front-matter text as the registry keeps it: stripped, None when blank or missing."""
    if value is None or value is False:
        return None
    value = value.isoformat() if isinstance(value, datetime.date) else str(value).strip()
    return value or None


def liquid(value) -> str:
    """`{{ value }}` of a text: "" for nil."""
    return text(value) or ""


def date(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else liquid(value)


def strings(value) -> list[str]:
    if value is None:
        return []
    return [str(v).strip() for v in (value if isinstance(value, list) else [value]) if v is not None]


def raw_phase(phase: dict) -> dict:
    """A phase as a plugin prints the front matter (`to_json` of the hash): its keys as written, dates as text."""
    raw = {"name": phase["name"], "start": date(phase["start"])}
    if phase.get("end") is not None:
        raw["end"] = date(phase["end"])
    if text(phase.get("comment")):
        raw["comment"] = text(phase["comment"])
    return raw


def plain(body: str) -> str:
    without = re.sub(r"<(script|style)\b.*?</\1\s*>", "", body, flags=re.IGNORECASE | re.DOTALL)
    without = re.sub(r"<!--.*?-->", "", without, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]*>", "", without)).strip()


# --- The templates, written again from the sample --------------------------------------------------------------


def expected_authors() -> list[dict]:
    authors = []
    for ident, data, body in collection("authors"):
        author = {
            "id": ident,
            "fullname": liquid(data.get("fullname")),
            "role": liquid(data.get("role")),
            "domaine": liquid(data.get("domaine")),
            "link": liquid(data.get("link")),
        }
        if plain(body):
            author["bio"] = plain(body)
        if text(data.get("github")):
            author["github"] = text(data["github"])
        author["missions"] = [
            {
                "start": date(m.get("start")),
                "end": date(m.get("end")),
                "status": liquid(m.get("status")),
                "employer": liquid(m.get("employer")),
                "startups": strings(m.get("startups")),
            }
            for m in data.get("missions") or []
        ]
        if data.get("competences"):
            author["competences"] = strings(data["competences"])
        # As written: never the missions' products.
        for key in ("startups", "previously"):
            if data.get(key) is not None:
                author[key] = strings(data[key])
        authors.append(author)
    return authors


def _incubator_ids(data: dict) -> list[str]:
    # `startup.incubators`, else `startup.incubator | split: ','`.
    return strings(data.get("incubators")) or [s for s in liquid(data.get("incubator")).split(",") if s]


def expected_startups() -> dict:
    data_list = []
    for ident, data, body in collection("startups"):
        attributes = {"name": liquid(data.get("title")), "pitch": liquid(data.get("mission"))}
        if text(data.get("stats_url")):
            attributes["stats_url"] = text(data["stats_url"])
        elif data.get("stats"):
            attributes["stats_url"] = f"{liquid(data.get('link'))}/stats"
        else:
            attributes["stats_url"] = ""
        if text(data.get("budget_url")):
            attributes["budget_url"] = text(data["budget_url"])
        if text(data.get("link")):
            attributes["impact_url"] = liquid(data.get("impact_url"))
            attributes["link"] = text(data["link"])
        if text(data.get("repository")):
            attributes["repository"] = text(data["repository"])
        attributes["contact"] = liquid(data.get("contact"))
        attributes["content_url_encoded_markdown"] = api_v27.url_encoded_markdown(body if body.strip() else "")
        attributes["events"] = [
            {"name": e["name"], "date": date(e["date"]), "comment": re.sub(r"\r?\n", "", liquid(e.get("comment")))}
            for e in data.get("events") or []
        ]
        attributes["phases"] = [
            {"name": p["name"], "start": date(p["start"]), "end": date(p.get("end"))} for p in data.get("phases") or []
        ]
        attributes["sponsors"] = [s.removeprefix("/organisations/") for s in strings(data.get("sponsors"))]
        attributes["thematiques"] = strings(data.get("thematiques"))
        attributes["technos"] = strings(data.get("techno"))
        if data.get("analyse_risques"):
            attributes["analyse_risques"] = "true"
        for key in ("analyse_risques_url", "dashlord_url", "accessibility_status"):
            if text(data.get(key)):
                attributes[key] = text(data[key])
        data_list.append(
            {
                "id": ident,
                "type": "startup",
                "attributes": attributes,
                "relationships": {
                    "incubator": {"data": {"type": "incubator", "id": liquid(data.get("incubator"))}},
                    "incubators": {"data": [{"type": "incubator", "id": i} for i in _incubator_ids(data)]},
                },
            }
        )
    included = [
        {
            "id": ident,
            "type": "incubator",
            "attributes": {key: liquid(data.get(key)) for key in ("title", "owner", "website", "github", "contact")},
        }
        for ident, data, _ in collection("incubators")
    ]
    return {"links": {"self": "https://beta.gouv.fr/startups"}, "data": data_list, "included": included}


def expected_incubators() -> dict:
    result: dict = {}
    for ident, data, _ in collection("startups"):
        if data.get("incubator"):
            result.setdefault(text(data["incubator"]), {"startups": []})["startups"].append(
                {
                    "id": ident,
                    "name": text(data.get("title")),
                    "pitch": text(data.get("mission")),
                    "repository": text(data.get("repository")),
                    "contact": text(data.get("contact")),
                    "phases": [raw_phase(p) for p in data.get("phases") or []],
                }
            )
    for ident, data, _ in collection("incubators"):
        entry = result.setdefault(ident, {})
        for key in ("title", "owner", "contact", "address", "website", "github"):
            entry[key] = text(data.get(key))
    return result


def expected_organisations() -> list[dict]:
    return [
        {"id": ident, **{key: liquid(data.get(key)) for key in ("name", "acronym", "domaine_ministeriel", "type")}}
        for ident, data, _ in collection("organisations")
    ]


def expected_sponsors() -> dict:
    return {
        ident: {key: text(data.get(key)) for key in ("name", "acronym", "domaine_ministeriel", "type")}
        for ident, data, _ in collection("organisations")
    }


def _blank() -> dict:
    return {"active_members": [], "previous_members": [], "expired_members": []}


def expected_startups_details(today: datetime.date) -> dict:
    members: dict = {}
    for ident, data, _ in collection("authors"):
        missions = data.get("missions") or []
        for slug in strings(data.get("startups")):
            last_end = missions[-1].get("end") if missions else None
            key = "expired_members" if last_end and last_end <= today else "active_members"
            members.setdefault(slug, _blank())[key].append(ident)
        for slug in strings(data.get("previously")):
            members.setdefault(slug, _blank())["previous_members"].append(ident)
        for mission in missions:
            for slug in strings(mission.get("startups")):
                bucket = members.setdefault(slug, _blank())
                start, end = mission.get("start"), mission.get("end")
                if end is None or start <= today <= end:
                    bucket["active_members"].append(ident)
                elif end <= today:
                    bucket["expired_members"].append(ident)
    for bucket in members.values():
        for key in bucket:
            bucket[key] = list(dict.fromkeys(bucket[key]))
    result = {}
    for ident, data, _ in collection("startups"):
        result[ident] = {
            "id": ident,
            "name": text(data.get("title")),
            "repository": text(data.get("repository")),
            "contact": text(data.get("contact")),
            "phases": [raw_phase(p) for p in data.get("phases") or []],
            **members.get(ident, _blank()),
        }
    for slug, bucket in members.items():
        result.setdefault(
            slug, {"id": slug, "name": None, "repository": None, "contact": None, "phases": None} | bucket
        )
    return result


def expected_csv() -> list[list[str]]:
    rows = [["id", "name", "mission", "start", "status", "incubator", "stats", "link", "repository"]]
    rows[0] += ["accessibility", "contact", "incubators"]
    for ident, data, _ in collection("startups"):
        phases = data.get("phases") or []
        rows.append(
            [
                ident,
                liquid(data.get("title")),
                liquid(data.get("mission")),
                date(phases[0]["start"]) if phases else "",
                phases[-1]["name"] if phases else "",
                liquid(data.get("incubator")),
                text(data.get("stats_url")) or "null",
                text(data.get("link")) or "null",
                text(data.get("repository")) or "null",
                liquid(data.get("accessibility_status")),
                liquid(data.get("contact")),
                ",".join(_incubator_ids(data)),
            ]
        )
    return rows


API_SINGLE_FIELDS = [
    "id name repository contact phases mission link incubator accessibility_status stats_url budget_url impact_url",
    "dashlord_url redirect_from usertypes techno mon_service_securise",
]


def expected_v3(today: datetime.date) -> dict:
    """`Startup#to_api_hash` for each product: the members' `active_startups` and `all_startups`."""
    active_of, all_of = {}, {}
    for ident, data, _ in collection("authors"):
        missions = data.get("missions") or []
        running = [m for m in missions if m.get("end") is None or m["end"] >= today]
        ended = [m for m in missions if m not in running]
        active = strings(data.get("startups")) + [s for m in running for s in strings(m.get("startups"))]
        legacy = strings(data.get("previously")) + [s for m in ended for s in strings(m.get("startups"))]
        active_of[ident], all_of[ident] = set(active), set(active) | set(legacy)
    files = {}
    for ident, data, body in collection("startups"):
        expected = {"name": text(data.get("title"))}
        for key in " ".join(API_SINGLE_FIELDS).split():
            if key == "phases" and data.get("phases"):
                expected["phases"] = [raw_phase(p) for p in data["phases"]]
            elif isinstance(data.get(key), list):
                if data[key]:  # an empty list is not kept by the registry
                    expected[key] = strings(data[key])
            elif isinstance(data.get(key), bool):
                expected[key] = data[key]
            elif text(data.get(key)):
                expected[key] = text(data[key])
        active = [member for member in active_of if ident in active_of[member]]
        expected["incubators"] = _incubator_ids(data)
        expected["active_members"] = active
        expected["previous_members"] = [m for m in all_of if ident in all_of[m] and m not in active]
        expected["content"] = body if body.strip() else ""
        files[ident] = expected
    return files


# --- The comparisons -------------------------------------------------------------------------------------------


def _get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def _differences(served, expected, path="") -> list[str]:
    """The first differences between two JSON values, each with its path (an assertion message that reads)."""
    if isinstance(expected, dict) and isinstance(served, dict):
        found = [f"{path}.{k}: missing" for k in expected if k not in served]
        found += [f"{path}.{k}: not in the template" for k in served if k not in expected]
        for key in expected.keys() & served.keys():
            found += _differences(served[key], expected[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(served, list) and len(expected) != len(served):
        ids = [[item.get("id") if isinstance(item, dict) else item for item in v] for v in (served, expected)]
        return [f"{path}: {len(served)} items != {len(expected)}; {set(ids[0]) ^ set(ids[1])}"]
    if isinstance(expected, list) and isinstance(served, list):
        return [
            d
            for i, (s, e) in enumerate(zip(served, expected, strict=True))
            for d in _differences(s, e, f"{path}[{i}]")
        ]
    return [] if served == expected else [f"{path}: {str(served)[:120]!r} != {str(expected)[:120]!r}"]


def _assert_same(served, expected, label=""):
    differences = _differences(served, expected, label)
    assert not differences, f"{len(differences)} differences, first ones: {differences[:10]}"


def test_the_v27_json_files_are_what_the_templates_print(client, imported):
    _assert_same(json.loads(_get(client, "/api/v2.7/authors.json").content), expected_authors())
    _assert_same(json.loads(_get(client, "/api/v2.7/startups.json").content), expected_startups())
    _assert_same(json.loads(_get(client, "/api/v2.7/incubators.json").content), expected_incubators())
    _assert_same(json.loads(_get(client, "/api/v2.7/organisations.json").content), expected_organisations())
    _assert_same(json.loads(_get(client, "/api/v2.7/sponsors.json").content), expected_sponsors())


def test_startups_details_and_csv_are_what_the_plugin_and_template_print(client, imported):
    served = json.loads(_get(client, "/api/v2.7/startups_details.json").content)
    _assert_same(served, expected_startups_details(timezone.localdate()))
    assert list(served)[: len(collection("startups"))] == [ident for ident, _, _ in collection("startups")]

    body = _get(client, "/api/v2.7/startups.csv").content.decode()
    lines = body.split("\n")
    assert lines[1] == "" and body.endswith("\n\n")  # the blank lines of the rendered template
    rows = list(csv.reader(io.StringIO("\n".join(line for line in lines if line)), delimiter=";"))
    assert rows == expected_csv()


def test_every_v3_file_is_the_startups_api_hash(client, imported):
    today = timezone.localdate()
    for ident, expected in expected_v3(today).items():
        _assert_same(json.loads(_get(client, f"/api/v3/startups/{ident}.json").content), expected, ident)
    active = sum(
        1
        for _, data, _ in collection("authors")
        if any(
            m.get("start") <= today and (m.get("end") is None or m["end"] >= today) for m in data.get("missions") or []
        )
    )
    assert json.loads(_get(client, "/compteur_smiirl.json").content) == {"number": active}
