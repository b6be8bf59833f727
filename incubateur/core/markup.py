"""Imported content shown as beta.gouv.fr shows it: Markdown with embedded HTML, rendered, then sanitised.

The content tree's texts (product descriptions, incubator presentations, member bios, events and FAST editions)
are Markdown with HTML inside, rendered by kramdown on beta.gouv.fr. Here markdown-it-py ("commonmark" and
tables; raw HTML accepted, no linkify, a single line end is not a break) turns them into HTML, and nh3 keeps
only what an allow-list names.

The guarantee, for any text: the result holds only the tags of `BLOCK_TAGS` (`INLINE_TAGS` for
`render_markdown_inline`) with the attributes of `ATTRIBUTES`, and the DSFR classes of `CLASSES` (no `style`, no
`on…` handler, no `id`); no script or style element and nothing of their content; no HTML comment
(`<!--StartFragment-->` never shows); an `href` is an http(s) or mailto address or a fragment (`#…`), every link
gets `rel="noopener noreferrer"`; no attribute value holds `<` or `>`. Addresses relative to beta.gouv.fr's site
(`/img/…`, `/startups/…`) point at https://beta.gouv.fr, where they live: on this site they would be 404s.

Choices, so that a description fits the page that shows it:

- headings keep their relative levels, the text's highest one becoming `top` (2 by default: the page's `<h1>`
  is its title; 3 for a text under an `<h2>` such as "Description"); nothing goes below `<h6>`;
- images become links to the image ("Image : <alt>"): the site's Content-Security-Policy loads images from
  itself only, and showing a third party's image would tell that host who reads the page;
- a table is wrapped as DSFR wants it (`fr-table`, focusable so a keyboard can scroll it on a small screen), its
  header cells get `scope="col"`.

Results are cached under a hash of the text and `RENDERER_VERSION` (bump it when the output changes): in this
process (the most recent ones) and in Django's cache, so a changed text is a new entry, never a stale one.
"""

import hashlib
import html
import re
import threading
from collections import OrderedDict
from urllib.parse import urljoin, urlsplit

import nh3
from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

RENDERER_VERSION = "1"
CACHE_TIMEOUT = 30 * 24 * 3600
SITE = "https://beta.gouv.fr/"

INLINE_TAGS = {"a", "abbr", "b", "br", "code", "del", "em", "i", "s", "span", "strong", "sub", "sup"}
BLOCK_TAGS = INLINE_TAGS | {
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "h1",  # in the input only: headings are shifted to `top` (2 at least) after sanitising
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
# The DSFR typography classes the content tree uses (incubators' presentations, FAST editions).
CLASSES = {
    "span": {"fr-text--bold", "fr-text--lead", "fr-text--sm"},
    "p": {"fr-text--bold", "fr-text--lead", "fr-text--sm"},
    "div": {"fr-text--lead"},
}
URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href"}

_HEADING = re.compile(r"<(/?)h([1-6])>")
_TABLE_OPEN = re.compile(r"<table>")
_TABLE_CLOSE = re.compile(r"</table>")
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"<br>|</(?:p|li|h[1-6]|td|th|tr|div|pre|blockquote|dt|dd)>")


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Every attribute value nh3 keeps: addresses made absolute, and no `<` or `>` anywhere (so the heading and
    table passes below read tags, never text)."""
    value = value.replace("<", "‹").replace(">", "›")
    if name in URL_ATTRIBUTES:
        value = value.strip()
        if value.startswith("#"):
            return value
        try:
            relative = not urlsplit(value).scheme
        except ValueError:  # not an address at all (an unbalanced "[" in the host)
            return None
        if relative:
            # nh3 checked the scheme before this filter runs: what comes back must be safe, and a https://
            # address on beta.gouv.fr is.
            return urljoin(SITE, value)
    return value


def _cleaner(tags: set[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=tags,
        clean_content_tags={"script", "style"},
        # "*": none on every tag (nh3 would otherwise keep `title` and `lang` anywhere, headings included).
        attributes={"*": set()} | {tag: names for tag, names in ATTRIBUTES.items() if tag in tags},
        attribute_filter=_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=URL_SCHEMES,
        allowed_classes={tag: classes for tag, classes in CLASSES.items() if tag in tags},
        set_tag_attribute_values={"th": {"scope": "col"}} if "th" in tags else None,
    )


_block_cleaner = _cleaner(BLOCK_TAGS)
_inline_cleaner = _cleaner(INLINE_TAGS)


def _image_as_link(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    label = escape(f"Image : {alt}" if alt else "Image")
    depth = 0
    for previous in tokens[:idx]:
        depth += {"link_open": 1, "link_close": -1}.get(previous.type, 0)
    if depth > 0:  # already inside a link: a link in a link is not HTML
        return label
    return f'<a href="{escape(token.attrGet("src") or "")}">{label}</a>'


_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "breaks": False}).enable("table")
_md.add_render_rule("image", _image_as_link)


def _shift_headings(rendered: str, top: int) -> str:
    levels = [int(level) for _, level in _HEADING.findall(rendered)]
    if not levels:
        return rendered
    delta = top - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + delta)}>", rendered)


def _wrap_tables(rendered: str) -> str:
    rendered = _TABLE_OPEN.sub('<div class="fr-table fr-table--no-caption"><table tabindex="0">', rendered)
    return _TABLE_CLOSE.sub("</table></div>", rendered)


class _Recent:
    """The most recent results in this process: a page shown again reads no cache row."""

    def __init__(self, size: int = 512):
        self.size = size
        self.entries: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def set(self, key: str, value: str) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_recent = _Recent()


def _cache_key(kind: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"markup:{RENDERER_VERSION}:{kind}:{digest}"


def _cached(kind: str, text: str, render) -> SafeString:
    key = _cache_key(kind, text)
    value = _recent.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = render(text)
            cache.set(key, value, CACHE_TIMEOUT)
        _recent.set(key, value)
    return mark_safe(value)  # sanitised by nh3 with the allow-list above


def _render_block(text: str, top: int) -> str:
    cleaned = _block_cleaner.clean(_md.render(text))
    return _wrap_tables(_shift_headings(cleaned, top)).strip()


def render_markdown(text: str | None, *, top: int = 2) -> SafeString:
    """`text` (Markdown with embedded HTML) as safe HTML; its highest heading becomes `<h{top}>` (2 to 6)."""
    if not text or not text.strip():
        return mark_safe("")
    if not 2 <= top <= 6:
        raise ValueError(f"top must be between 2 and 6, not {top}")
    return _cached(f"block{top}", text, lambda value: _render_block(value, top))


def render_markdown_inline(text: str | None) -> SafeString:
    """A one-line text (an incubator's short presentation, a team's mission) as safe inline HTML: emphasis, links,
    `<span class="fr-text--bold">`… but no paragraph, heading, list or table (put it inside a `<p>`)."""
    if not text or not text.strip():
        return mark_safe("")
    return _cached("inline", text, lambda value: _inline_cleaner.clean(_md.renderInline(value)).strip())


def markdown_excerpt(text: str | None, length: int) -> str:
    """The rendered text as plain text (no markup, one line), cut at a word to at most `length` characters with
    "…": for cards and lists. Plain text: the template escapes it."""
    if not text or not text.strip():
        return ""
    rendered = _BLOCK_END.sub(" ", str(render_markdown(text)))
    plain = " ".join(html.unescape(_TAG.sub("", rendered)).split())
    if len(plain) <= length:
        return plain
    limit = max(length - 1, 0)  # room for "…"
    head = plain[:limit]
    if plain[limit] != " " and " " in head:  # do not cut a word
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.") + "…"
