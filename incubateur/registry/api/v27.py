"""beta.gouv.fr's public JSON API, version 2.7, as a drop-in: /api/v2.7/{authors,startups,incubators,
organisations,sponsors}.json.

The shapes follow beta.gouv.fr's Jekyll templates (`api/v2.7/*.json`) and plugins (`_plugins/incubators.rb`,
`_plugins/sponsors.rb`): the same keys, the same rules for optional keys, dates as "YYYY-MM-DD", a missing end
as "". Where a Liquid template prints a missing value it gives ""; where a Ruby plugin does, it gives null. Unlike
the templates, the output is always valid JSON and never contains HTML entities.

Serving: each file is built once per registry version (`registry.cache`, bumped by every write) and its final
bytes, plain and gzipped, are stored in the Django cache with the versioned key they were built under; each process
also keeps the latest file in memory. A request reads the version stamp (one query) and then, at worst, one cache
entry: no serialisation. The ETag is a hash of the content, so a write that does not change a file keeps its ETag
and Last-Modified.
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
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from incubateur.registry import cache as registry_cache
from incubateur.registry import selectors

# `links.self` of startups.json: beta.gouv.fr prints `{{ site.url }}/startups`, the public list of the products.
STARTUPS_SELF_LINK = "https://beta.gouv.fr/startups"
MAX_AGE = 60  # seconds a client or proxy may reuse a file without asking again


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


def url_encoded_markdown(text: str) -> str:
    """`ERB::Util.url_encode`: everything but letters, digits and `-_.~` percent-encoded (UTF-8)."""
    return quote(text or "", safe="")


def _unique(values) -> list:
    return list(dict.fromkeys(values))


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
        # The legacy front-matter key when the tree still has it, else the products of the missions.
        startups = member.extra.get("startups") or _unique(s for mission in missions for s in mission["startups"])
        if startups:
            author["startups"] = [str(s) for s in startups]
        previously = member.extra.get("previously")
        if previously:
            author["previously"] = [str(s) for s in previously]
        authors.append(author)
    return authors


def _is_hidden(incubator) -> bool:
    # `hidden: true` in the tree: not listed as an incubator; incubators.json keeps only its products.
    return bool(incubator.extra.get("hidden"))


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
    attributes["content_url_encoded_markdown"] = url_encoded_markdown(product.description)
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
                "owner": f"/organisations/{incubator.owner.ghid}" if incubator.owner else "",
                "website": incubator.website,
                "github": incubator.github,
                "contact": incubator.contact,
            },
        }
        for incubator in selectors.incubators_for_listing()
        if not _is_hidden(incubator)
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
    result = {}
    for incubator in selectors.incubators_for_listing():
        entry = {"startups": startups[incubator.ghid]} if incubator.ghid in startups else {}
        if not _is_hidden(incubator):
            entry |= {
                "title": incubator.title,
                "owner": f"/organisations/{incubator.owner.ghid}" if incubator.owner else None,
                "contact": incubator.contact,
                "address": incubator.address,
                "website": incubator.website,
                "github": incubator.github,
            }
        if entry:
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


BUILDERS: dict[str, Callable[[], object]] = {
    "authors": authors_data,
    "startups": startups_data,
    "incubators": incubators_data,
    "organisations": organisations_data,
    "sponsors": sponsors_data,
}


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


def render(name: str) -> bytes:
    return json.dumps(BUILDERS[name](), ensure_ascii=False, separators=(",", ":")).encode()


def _stored_key(name: str) -> str:
    # One entry per file, whatever the version (the version is in the value): the shared database cache does not
    # fill up with stale copies that it would cull together with other keys (rate-limit counters).
    return f"registry:api-v2.7:{name}"


def _file(name: str, tag: str) -> File:
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
        content = render(name)
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


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether Accept-Encoding allows gzip (with a q-value above 0, or through `*`)."""
    codings = {}
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            codings[coding.lower()] = q
    q = codings.get("gzip", codings.get("x-gzip", codings.get("*", 0.0)))
    return q > 0


def _headers(response: HttpResponse, file: File) -> HttpResponse:
    response["ETag"] = file.etag
    response["Last-Modified"] = http_date(file.last_modified)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Vary"] = "Accept-Encoding"
    # Public data, read by browsers from other sites (as beta.gouv.fr's files are).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def serve(request: HttpRequest, name: str) -> HttpResponse:
    file = _file(name, registry_cache.key(f"api-v2.7:{name}", daily=False))
    conditional = get_conditional_response(request, etag=file.etag, last_modified=file.last_modified)
    if conditional is not None:
        return _headers(conditional, file) if conditional.status_code == 304 else conditional
    gzipped = accepts_gzip(request)
    content = file.gzipped if gzipped else file.plain
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(content))
    return _headers(response, file)


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
