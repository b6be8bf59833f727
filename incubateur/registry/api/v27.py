"""beta.gouv.fr's public files, as a drop-in: /api/v2.7/{authors,startups,incubators,organisations,sponsors,
startups_details}.json, /api/v2.7/startups.csv, /api/v3/startups/<id>.json and /compteur_smiirl.json.

The shapes follow beta.gouv.fr's Jekyll templates (`api/v2.7/*.json`, `api/v2.7/startups.csv`), plugins
(`_plugins/incubators.rb`, `_plugins/sponsors.rb`, `_plugins/startups.rb`, `_plugins/startup_json_generator.rb`)
and models (`lib/models/startup.rb`, `lib/models/member.rb`): the same keys, the same rules for optional keys, dates
as "YYYY-MM-DD", a missing end as "". Where a Liquid template prints a missing value it gives ""; where a Ruby plugin
does, it gives null. A list written in the front matter is published as written (a member's legacy `startups` and
`previously`), never derived. Files and lists are in the order Jekyll reads the tree: by file name. Unlike the
templates, the output is always valid JSON and never contains HTML entities.

Serving: each file is built once per registry version (`registry.cache`, bumped by every write) and its final
bytes, plain and gzipped, are stored in the Django cache with the versioned key they were built under; each process
also keeps the latest file in memory. The view reads the version stamp (one query) and then, at worst, one cache
entry: no serialisation. It also hands the file to core/published.py, which writes it to disk and answers the next
requests ahead of the middleware stack, without a query, until the registry's version moves (see its guarantee).
The ETag is a hash of the content, so a write that does not change a file keeps its ETag and Last-Modified.
"""

import gzip
import hashlib
import html
import json
import re
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from urllib.parse import quote

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache as django_cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from incubateur.core import published
from incubateur.registry import cache as registry_cache
from incubateur.registry import selectors
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member

# `links.self` of startups.json: beta.gouv.fr prints `{{ site.url }}/startups`, the public list of the products.
STARTUPS_SELF_LINK = "https://beta.gouv.fr/startups"
MAX_AGE = published.MAX_AGE  # seconds a client or proxy may reuse a file without asking again


# --- Values as the templates print them ------------------------------------------------------------


def _date(value) -> str:
    return value.isoformat() if value else ""


def _or_none(value: str):
    """A Ruby plugin prints a missing front-matter value as null."""
    return value if value else None


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def strip_html(text: str) -> str:
    """Liquid's `strip_html | strip`: drop scripts, styles, comments and tags, then surrounding whitespace.

    Unlike Liquid, the entities that the text carries (`&quot;`, `&#x20;` in some bios) are decoded: this is
    plain text, and the API promises no HTML entities.
    """
    return html.unescape(_TAG.sub("", _COMMENT.sub("", _SCRIPT_OR_STYLE.sub("", text or "")))).strip()


_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")


def jekyll_content(body: str) -> str:
    """A file's body as Jekyll reads it (`document.content`): its front-matter pattern also swallows the blank lines
    that follow the closing `---`."""
    return _LEADING_BLANK_LINES.sub("", body or "")


def url_encoded_markdown(text: str) -> str:
    """`ERB::Util.url_encode`: everything but letters, digits and `-_.~` percent-encoded (UTF-8)."""
    return quote(text or "", safe="")


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def _written_list(extra: dict, key: str) -> list[str] | None:
    """A list kept as written in the front matter (`extra`), or None when the key is absent or null.

    Liquid's `{% if %}` is true for an empty list: `previously: []` is published as `[]`.
    """
    value = extra.get(key)
    if value is None or value is False:
        return None
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None]


def _file_order(ident: str) -> str:
    """Jekyll reads a collection in the order of its files' paths (byte order of `<id>.md`)."""
    return f"{ident}.md"


# --- The five files ---------------------------------------------------------------------------------


def authors_data() -> list[dict]:
    authors = []
    for member in selectors.members_for_listing():
        missions = []
        for mission in member.missions.all():
            missions.append(
                {
                    "start": _date(mission.start),
                    "end": _date(mission.end),
                    "status": mission.status,
                    "employer": mission.employer,
                    "startups": [link.product.ghid for link in mission.missionproduct_set.all()],
                }
            )
        author = {
            "id": member.username,
            "fullname": member.fullname,
            "role": member.role,
            "domaine": member.domaine,
            "link": member.link,
        }
        bio = strip_html(member.bio)
        if bio:
            author["bio"] = bio
        if member.github:
            author["github"] = member.github
        author["missions"] = missions
        if member.competences:
            author["competences"] = [str(c) for c in member.competences]
        # The template prints the front matter's `startups` and `previously` as written (never derived from the
        # missions), and leaves a key out only when the front matter has none.
        for key in ("startups", "previously"):
            written = _written_list(member.extra, key)
            if written is not None:
                author[key] = written
        authors.append(author)
    return authors


def _startup_attributes(product) -> dict:
    attributes = {"name": product.name, "pitch": product.pitch}
    if product.stats_url:
        attributes["stats_url"] = product.stats_url
    elif product.stats:
        attributes["stats_url"] = f"{product.link.strip()}/stats"
    else:
        attributes["stats_url"] = ""
    if product.budget_url:
        attributes["budget_url"] = product.budget_url
    if product.link:
        attributes["impact_url"] = product.impact_url
        attributes["link"] = product.link
    if product.repository:
        attributes["repository"] = product.repository
    attributes["contact"] = product.contact
    attributes["content_url_encoded_markdown"] = url_encoded_markdown(jekyll_content(product.description))
    attributes["events"] = [
        {"name": e.name, "date": _date(e.date), "comment": re.sub(r"\r?\n", "", e.comment)}
        for e in product.events.all()
    ]
    attributes["phases"] = [
        {"name": p.name, "start": _date(p.start), "end": _date(p.end)} for p in product.phases.all()
    ]
    attributes["sponsors"] = [link.organisation.ghid for link in product.productsponsor_set.all()]
    attributes["thematiques"] = [str(t) for t in product.thematiques or []]
    attributes["technos"] = [str(t) for t in product.techno or []]
    if product.analyse_risques:
        attributes["analyse_risques"] = "true"
    if product.analyse_risques_url:
        attributes["analyse_risques_url"] = product.analyse_risques_url
    if product.dashlord_url:
        attributes["dashlord_url"] = product.dashlord_url
    if product.accessibility_status:
        attributes["accessibility_status"] = product.accessibility_status
    return attributes


def _owner(incubator) -> str | None:
    """The front matter's `owner`: the organisation's path, or the text as written when it names none of the tree."""
    if incubator.owner is not None:
        return f"/organisations/{incubator.owner.ghid}"
    return str(incubator.extra.get("owner") or "") or None


def startups_data() -> dict:
    data = []
    for product in selectors.products_for_listing():
        links = list(product.productincubator_set.all())
        principal = next((link.incubator.ghid for link in links if link.is_principal), "")
        # The tree's order of `incubators` (co-incubation), else the principal one alone.
        incubators = [link.incubator.ghid for link in sorted(links, key=lambda link: (link.order, link.pk))]
        data.append(
            {
                "id": product.ghid,
                "type": "startup",
                "attributes": _startup_attributes(product),
                "relationships": {
                    "incubator": {"data": {"type": "incubator", "id": principal}},
                    "incubators": {"data": [{"type": "incubator", "id": ghid} for ghid in incubators]},
                },
            }
        )
    included = [
        {
            "id": incubator.ghid,
            "type": "incubator",
            "attributes": {
                "title": incubator.title,
                "owner": _owner(incubator) or "",
                "website": incubator.website,
                "github": incubator.github,
                "contact": incubator.contact,
            },
        }
        for incubator in selectors.incubators_for_listing()
    ]
    return {"links": {"self": STARTUPS_SELF_LINK}, "data": data, "included": included}


def _raw_phase(phase) -> dict:
    raw = {"name": phase.name, "start": _date(phase.start)}
    if phase.end:
        raw["end"] = _date(phase.end)
    if phase.comment:
        raw["comment"] = phase.comment
    return raw


def incubators_data() -> dict:
    startups: dict[str, list] = {}
    for product in selectors.products_with_principal_incubator():
        startups.setdefault(product.principal_links[0].incubator.ghid, []).append(
            {
                "id": product.ghid,
                "name": product.name,
                "pitch": product.pitch,
                "repository": _or_none(product.repository),
                "contact": _or_none(product.contact),
                "phases": [_raw_phase(p) for p in product.phases.all()],
            }
        )
    # `_plugins/incubators.rb`: every incubator of the tree (`hidden: true` ones too: the plugin does not read that
    # key), its products under `startups` only when it has some.
    result = {}
    for incubator in selectors.incubators_for_listing():
        entry = {"startups": startups[incubator.ghid]} if incubator.ghid in startups else {}
        entry |= {
            "title": incubator.title,
            "owner": _owner(incubator),
            "contact": _or_none(incubator.contact),
            "address": _or_none(incubator.address),
            "website": _or_none(incubator.website),
            "github": _or_none(incubator.github),
        }
        result[incubator.ghid] = entry
    return result


def organisations_data() -> list[dict]:
    return [
        {
            "id": o.ghid,
            "name": o.name,
            "acronym": o.acronym,
            "domaine_ministeriel": o.domaine_ministeriel,
            "type": o.type,
        }
        for o in selectors.organisations()
    ]


def sponsors_data() -> dict:
    return {
        o.ghid: {
            "name": o.name,
            "acronym": _or_none(o.acronym),
            "domaine_ministeriel": _or_none(o.domaine_ministeriel),
            "type": _or_none(o.type),
        }
        for o in selectors.organisations()
    }


# --- Members of each product, as beta.gouv.fr computes them -------------------------------------------


def _blank_bucket() -> dict[str, list[str]]:
    return {"active_members": [], "previous_members": [], "expired_members": []}


def _members_in_file_order() -> list:
    return sorted(selectors.members_for_listing(), key=lambda m: _file_order(m.username))


def details_membership(members, today) -> dict[str, dict[str, list[str]]]:
    """`_plugins/startups.rb`: for each product id named by a member, who is active, previous or expired.

    - the front matter's `startups` (as written): expired when the member's last mission (in the file's order)
      ended on or before today, else active;
    - `previously`: previous;
    - each mission's products: active when it has no end or runs today, expired when it ended on or before today
      (a mission that has not started yet puts the member in no list).
    Each list once per member, in the order of the members' files.
    """
    result: dict[str, dict[str, list[str]]] = {}
    for member in members:
        missions = list(member.missions.all())
        last_end = missions[-1].end if missions else None
        for slug in _written_list(member.extra, "startups") or []:
            bucket = result.setdefault(slug, _blank_bucket())
            key = "expired_members" if last_end is not None and last_end <= today else "active_members"
            bucket[key].append(member.username)
        for slug in _written_list(member.extra, "previously") or []:
            result.setdefault(slug, _blank_bucket())["previous_members"].append(member.username)
        for mission in missions:
            for link in mission.missionproduct_set.all():
                bucket = result.setdefault(link.product.ghid, _blank_bucket())
                if mission.end is None or mission.start <= today <= mission.end:
                    bucket["active_members"].append(member.username)
                elif mission.end <= today:
                    bucket["expired_members"].append(member.username)
    for bucket in result.values():
        for key, ids in bucket.items():
            bucket[key] = _unique(ids)
    return result


def _products_in_file_order() -> list:
    return sorted(selectors.products_for_listing(), key=lambda p: _file_order(p.ghid))


def startups_details_data() -> dict:
    """/api/v2.7/startups_details.json: every product (id, name, repository, contact, raw phases) with its members,
    then the ids that members name without a product file (their product fields null)."""
    membership = details_membership(_members_in_file_order(), timezone.localdate())
    result = {}
    for product in _products_in_file_order():
        result[product.ghid] = {
            "id": product.ghid,
            "name": product.name,
            "repository": _or_none(product.repository),
            "contact": _or_none(product.contact),
            "phases": [_raw_phase(p) for p in product.phases.all()],
            **membership.get(product.ghid, _blank_bucket()),
        }
    for slug, bucket in membership.items():
        if slug and slug not in result:
            result[slug] = {"id": slug, "name": None, "repository": None, "contact": None, "phases": None, **bucket}
    return result


def compteur_smiirl_data() -> dict:
    """/compteur_smiirl.json, read by the Incubator's Smiirl counter: the number of members with a mission running
    today."""
    validated = Member.objects.filter(review_state=ReviewState.VALIDATED)  # not those awaiting validation (#14)
    return {"number": validated.active(timezone.localdate()).count()}


# --- /api/v2.7/startups.csv ----------------------------------------------------------------------------------

CSV_HEADER = "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators"


def startups_csv() -> str:
    """`api/v2.7/startups.csv`: 12 `;`-separated columns; `stats`, `link` and `repository` are `null` when empty; the
    name, mission, accessibility status and incubators are between double quotes (as the template writes them:
    nothing escaped). Like the rendered template, a blank line follows the header and another one ends the file."""
    rows = []
    for product in _products_in_file_order():
        phases = list(product.phases.all())
        links = sorted(product.productincubator_set.all(), key=lambda link: (link.order, link.pk))
        principal = next((link.incubator.ghid for link in links if link.is_principal), "")
        cells = [
            product.ghid,
            f'"{product.name}"',
            f'"{product.pitch}"',
            _date(phases[0].start) if phases else "",
            phases[-1].name if phases else "",
            principal,
            product.stats_url or "null",
            product.link or "null",
            product.repository or "null",
            f'"{product.accessibility_status}"',
            product.contact,
            '"{}"'.format(",".join(link.incubator.ghid for link in links)),
        ]
        rows.append(";".join(cells) + "\n")
    return f"{CSV_HEADER}\n\n{''.join(rows)}\n"


# --- /api/v3/startups/<id>.json ------------------------------------------------------------------------------


# The members of every product for /api/v3/ (one pass over the members), for the registry version and day it was
# computed under: each file reads it instead of reading every member again.
_v3_members: dict[str, dict[str, tuple[list[str], list[str]]]] = {}


def v3_memberships(members, today) -> dict[str, tuple[list[str], list[str]]]:
    """`lib/models/member.rb` and `startup.rb`, for every product id: (active, previous). Active: the member names
    it in the front matter's `startups` or in a mission not ended before today; previous: the member names it
    anywhere else (`previously`, an ended mission) and is not active. In the order of the members' files."""
    active: dict[str, list[str]] = {}
    every: dict[str, list[str]] = {}
    for member in members:
        current: set[str] = set(_written_list(member.extra, "startups") or [])
        legacy: set[str] = set(_written_list(member.extra, "previously") or [])
        for mission in member.missions.all():
            ids = {link.product.ghid for link in mission.missionproduct_set.all()}
            (current if mission.end is None or mission.end >= today else legacy).update(ids)
        for ghid in current:
            active.setdefault(ghid, []).append(member.username)
        for ghid in current | legacy:
            every.setdefault(ghid, []).append(member.username)
    return {
        ghid: (active.get(ghid, []), [u for u in usernames if u not in set(active.get(ghid, []))])
        for ghid, usernames in every.items()
    }


def _v3_memberships_now() -> dict[str, tuple[list[str], list[str]]]:
    tag = registry_cache.key("api-v3:members", daily=True)
    if tag not in _v3_members:
        computed = v3_memberships(_members_in_file_order(), timezone.localdate())
        _v3_members.clear()
        _v3_members[tag] = computed
    return _v3_members[tag]


def startup_v3_data(ghid: str) -> dict:
    """`Startup#to_api_hash`: the name, the front matter's keys among `API_SINGLE_FIELDS` that the file has (as
    written), the incubators (always a list), the active and previous members and the Markdown body."""
    product = next(iter(selectors.products_for_listing().filter(ghid=ghid)), None)
    if product is None:
        raise Http404("Produit inconnu.")
    links = sorted(product.productincubator_set.all(), key=lambda link: (link.order, link.pk))
    principal = next((link.incubator.ghid for link in links if link.is_principal), "")
    phases = [_raw_phase(p) for p in product.phases.all()]
    data: dict = {"name": product.name}
    written = {
        "id": product.extra.get("id"),
        "name": product.extra.get("name"),
        "repository": product.repository,
        "contact": product.contact,
        "phases": phases,
        "mission": product.pitch,
        "link": product.link,
        "incubator": principal,
        "accessibility_status": product.accessibility_status,
        "stats_url": product.stats_url,
        "budget_url": product.budget_url,
        "impact_url": product.impact_url,
        "dashlord_url": product.dashlord_url,
        "redirect_from": product.redirect_from,
        "usertypes": product.usertypes,
        "techno": product.techno,
        "mon_service_securise": product.mon_service_securise,
    }
    for key, value in written.items():
        if value is not None and value != "" and value != []:
            data[key] = value
    active, previous = _v3_memberships_now().get(product.ghid, ([], []))
    data["incubators"] = [link.incubator.ghid for link in links]
    data["active_members"] = active
    data["previous_members"] = previous
    data["content"] = jekyll_content(product.description)
    return data


BUILDERS: dict[str, Callable[[], object]] = {
    "authors": authors_data,
    "startups": startups_data,
    "incubators": incubators_data,
    "organisations": organisations_data,
    "sponsors": sponsors_data,
    "startups_details": startups_details_data,
    "compteur_smiirl": compteur_smiirl_data,
}
DAILY = registry_cache.DAILY
JSON_TYPE = registry_cache.JSON_TYPE
CSV_TYPE = registry_cache.CSV_TYPE


# --- Serving ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    tag: str  # the versioned key (`registry.cache.key`) the bytes were built under
    etag: str  # weak: the plain and the gzipped bytes are the same content
    last_modified: int  # seconds since the epoch
    plain: bytes
    gzipped: bytes


# The latest bytes of each file in this process.
_memo: dict[str, File] = {}


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def render(name: str) -> bytes:
    return _json(BUILDERS[name]())


def _stored_key(name: str) -> str:
    # One entry per file, whatever the version (the version is in the value): the shared database cache does not
    # fill up with stale copies that it would cull together with other keys (rate-limit counters).
    return f"registry:api-v2.7:{name}"


def _file(name: str, tag: str, build: Callable[[], bytes] | None = None) -> File:
    """The file built under `tag`: from this process, else from the shared cache, else built and stored there.

    The shared cache holds a tuple of builtins (never this class, which a deployment may change).
    """
    memo = _memo.get(name)
    if memo is not None and memo.tag == tag:
        return memo
    stored = django_cache.get(_stored_key(name))
    previous = File(*stored) if isinstance(stored, tuple) and len(stored) == 5 else None
    if previous is not None and previous.tag == tag:
        found = previous
    else:
        content = build() if build is not None else render(name)
        etag = f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'
        if previous is not None and previous.etag == etag:
            last_modified = previous.last_modified  # a write elsewhere in the registry: the file did not change
        else:
            # Later than the previous content's, even within the same second: If-Modified-Since must see a change.
            last_modified = max(int(time.time()), previous.last_modified + 1 if previous else 0)
        found = File(tag, etag, last_modified, content, gzip.compress(content, compresslevel=9, mtime=0))
        django_cache.set(_stored_key(name), astuple(found), timeout=None)
    _memo[name] = found
    return found


accepts_gzip = published.accepts_gzip


def serve(
    request: HttpRequest,
    name: str,
    *,
    build: Callable[[], bytes] | None = None,
    content_type: str = JSON_TYPE,
    daily: bool | None = None,
) -> HttpResponse:
    """One file: `name` is its key in this process and in the shared cache; `build` makes its bytes (by default
    `BUILDERS[name]` as JSON); `daily` files are rebuilt at midnight too. The file is also handed to
    core/published.py, which serves it ahead of the middleware stack until the registry's version moves."""
    daily = name in DAILY if daily is None else daily
    path = request.path_info
    entry = published.entry_for(path)
    # Read once: the same versions name the file here and on disk.
    versions = published.db_versions(entry) if entry is not None else (registry_cache.version(),)
    day = f":{versions[-1] if entry is not None and entry.daily else f'{timezone.localdate():%Y%m%d}'}"
    file = _file(name, f"registry:api-v2.7:{name}:{versions[0]}{day if daily else ''}", build)
    public = published.File(versions, file.etag, file.last_modified, content_type, file.plain, file.gzipped)
    if entry is not None:
        published.store(path, public)
    return published.respond(request, public)


def _view(name: str):
    @login_not_required
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        return serve(request, name)

    view.__name__ = view.__qualname__ = f"{name}_json"
    view.__doc__ = f"/api/v2.7/{name}.json (beta.gouv.fr drop-in)."
    return view


authors = _view("authors")
startups = _view("startups")
incubators = _view("incubators")
organisations = _view("organisations")
sponsors = _view("sponsors")
startups_details = _view("startups_details")
compteur_smiirl = _view("compteur_smiirl")


@login_not_required
@require_safe
def startups_csv_file(request: HttpRequest) -> HttpResponse:
    """/api/v2.7/startups.csv (beta.gouv.fr drop-in)."""
    return serve(request, "startups.csv", build=lambda: startups_csv().encode(), content_type=CSV_TYPE)


@login_not_required
@require_safe
def startup_v3(request: HttpRequest, ghid: str) -> HttpResponse:
    """/api/v3/startups/<id>.json (beta.gouv.fr drop-in): one file per product, kept like the others (an unknown id
    is a 404 and keeps nothing)."""
    # The cache key names the product by a hash: an identifier may hold any character and be 200 long.
    name = f"v3:startups:{hashlib.sha256(ghid.encode()).hexdigest()[:40]}"
    return serve(request, name, build=lambda: _json(startup_v3_data(ghid)), daily=True)
