"""`core.markup`: the content tree's Markdown (with HTML inside) rendered as beta.gouv.fr shows it, then sanitised
with an allow-list; cached by text; and the `{% load markup %}` filters."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.template import Context, Template
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incubateur.core import markup
from incubateur.core.markup import markdown_excerpt, render_markdown, render_markdown_inline


@pytest.fixture(autouse=True)
def _fresh_local_entries():
    markup._recent.entries.clear()  # the process-local copies outlive each test's rolled-back cache rows
    yield
    markup._recent.entries.clear()


class Elements(HTMLParser):
    """Every start tag of an HTML fragment with its attributes, and its comments."""

    def __init__(self, fragment: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


def tags(fragment: str) -> list[str]:
    return [tag for tag, _ in Elements(fragment).tags]


# --- Markdown as beta.gouv.fr writes it -----------------------------------------------------------------------


def test_paragraphs_emphasis_lists_and_links():
    html = render_markdown(
        "Un **service** *public*.\nSur deux lignes.\n\n- premier\n- second\n\n1. un\n2. deux\n\n"
        'Voir [le site](https://beta.gouv.fr "Accueil") ou <https://example.org>.'
    )
    assert html == (
        "<p>Un <strong>service</strong> <em>public</em>.\nSur deux lignes.</p>\n"
        "<ul>\n<li>premier</li>\n<li>second</li>\n</ul>\n"
        "<ol>\n<li>un</li>\n<li>deux</li>\n</ol>\n"
        '<p>Voir <a href="https://beta.gouv.fr" title="Accueil" rel="noopener noreferrer">le site</a> ou '
        '<a href="https://example.org" rel="noopener noreferrer">https://example.org</a>.</p>'
    )


def test_a_table_is_a_dsfr_table_with_column_headers_and_no_inline_style():
    html = render_markdown("| Financement | Montant |\n| :--- | ---: |\n| DINUM 24 | 82 000 € |")
    assert html == (
        '<div class="fr-table fr-table--no-caption"><table tabindex="0">\n'
        '<thead>\n<tr>\n<th scope="col">Financement</th>\n<th scope="col">Montant</th>\n</tr>\n</thead>\n'
        "<tbody>\n<tr>\n<td>DINUM 24</td>\n<td>82 000 €</td>\n</tr>\n</tbody>\n</table></div>"
    )


def test_embedded_html_on_the_allow_list_is_kept():
    html = render_markdown(
        'Porté par la <abbr title="Direction interministérielle du numérique">DINUM</abbr>, '
        '<span class="fr-text--bold">en gras</span>, <b>gras</b><br>à la ligne.\n\n'
        '<div class="fr-text--lead">\n\nIntroduction **forte**.\n\n</div>'
    )
    assert html == (
        '<p>Porté par la <abbr title="Direction interministérielle du numérique">DINUM</abbr>, '
        '<span class="fr-text--bold">en gras</span>, <b>gras</b><br>à la ligne.</p>\n'
        '<div class="fr-text--lead">\n<p>Introduction <strong>forte</strong>.</p>\n</div>'
    )


def test_what_is_not_on_the_allow_list_goes_and_its_text_stays():
    html = render_markdown(
        '<span class="fr-text--bold fr-hidden" id="x" style="color:red">texte</span> '
        '<font color="red">rouge</font> <a href="https://a.example" target="_blank" class="fr-btn">lien</a>\n\n'
        '<h2 title="Titre" lang="en" id="titre">Titre</h2>'
    )
    assert html == (
        '<p><span class="fr-text--bold">texte</span> rouge '
        '<a href="https://a.example" rel="noopener noreferrer">lien</a></p>\n<h2>Titre</h2>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>Texte",
        "Texte<style>body{display:none}</style>",
        '<p onclick="alert(1)" onmouseover="alert(2)">Texte</p>',
        '<img src="x" onerror="alert(1)">Texte',
        '<iframe src="https://evil.example"></iframe>Texte',
        '<svg onload="alert(1)"><text>svg</text></svg>Texte',
    ],
)
def test_scripts_styles_handlers_and_frames_are_removed(text):
    html = render_markdown(text)
    assert "Texte" in html
    for needle in ("<script", "alert", "<style", "display:none", "onclick", "onerror", "onload", "<iframe", "<svg"):
        assert needle not in html


@pytest.mark.parametrize(
    "text",
    [
        "[clic](javascript:alert(1))",
        '<a href="javascript:alert(1)">clic</a>',
        '<a href="JaVaScRiPt:alert(1)">clic</a>',
        '<a href="java&#x09;script:alert(1)">clic</a>',
        '<a href=" javascript:alert(1)">clic</a>',
        '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">clic</a>',
        '<a href="vbscript:msgbox(1)">clic</a>',
    ],
)
def test_only_web_and_mail_addresses_are_links(text):
    html = render_markdown(text)
    assert "clic" in html  # as text (Markdown leaves such a link as written), or a link with no address
    for _, attrs in Elements(html).tags:
        assert "href" not in attrs


def test_html_comments_never_show():
    html = render_markdown(
        "<!--StartFragment-->\n\n**Contexte**\n\n<!--EndFragment-->\n\nAvant <!-- caché --> après.\n\n"
        "<!-- Le Fonds pour l'accélération -->\n<!-- sur deux lignes -->"
    )
    assert "<!--" not in html
    assert "caché" not in html and "Fonds" not in html
    assert html == "<p><strong>Contexte</strong></p>\n\n<p>Avant  après.</p>"


def test_links_get_rel_and_beta_gouv_fr_relative_addresses_point_at_beta_gouv_fr():
    html = render_markdown(
        "[ADEME](/incubateurs/ademe) [page](startups/x.html) [haut](#contexte) "
        "[écrire](mailto:contact@beta.gouv.fr) [ailleurs](//cdn.example/x)"
    )
    links = [attrs for tag, attrs in Elements(html).tags if tag == "a"]
    assert [link["href"] for link in links] == [
        "https://beta.gouv.fr/incubateurs/ademe",
        "https://beta.gouv.fr/startups/x.html",
        "#contexte",
        "mailto:contact@beta.gouv.fr",
        "https://cdn.example/x",
    ]
    assert {link["rel"] for link in links} == {"noopener noreferrer"}


def test_images_become_links_to_the_image():
    html = render_markdown(
        '![Calendrier *du* projet](/img/netlifycms/calendrier.png "Calendrier")\n\n'
        "![](https://user-images.example/1.png)\n\n"
        "[![Logo](https://x.example/logo.png)](https://service.example)"
    )
    assert "<img" not in html
    assert html == (
        '<p><a href="https://beta.gouv.fr/img/netlifycms/calendrier.png" rel="noopener noreferrer">'
        "Image : Calendrier du projet</a></p>\n"
        '<p><a href="https://user-images.example/1.png" rel="noopener noreferrer">Image</a></p>\n'
        '<p><a href="https://service.example" rel="noopener noreferrer">Image : Logo</a></p>'
    )


@pytest.mark.parametrize(
    ("text", "top", "expected"),
    [
        ("# Titre\n\n## Sous-titre", 2, ["h2", "h3"]),
        ("# Titre\n\n## Sous-titre", 3, ["h3", "h4"]),
        ("### Contexte\n\n#### Détail", 3, ["h3", "h4"]),
        ("#### Seul", 2, ["h2"]),  # promoted: no skipped level under the page's heading
        ("<h1>FAST 12</h1>\n\n## Lauréats", 2, ["h2", "h3"]),  # HTML headings too
        ("# Un\n\n###### Six", 4, ["h4", "h6"]),  # nothing below <h6>
    ],
)
def test_headings_keep_their_order_from_the_given_level(text, top, expected):
    assert [tag for tag in tags(render_markdown(text, top=top)) if tag.startswith("h")] == expected


def test_the_top_heading_level_is_checked():
    with pytest.raises(ValueError):
        render_markdown("# Titre", top=1)


def test_empty_texts_render_nothing():
    assert render_markdown("") == render_markdown(None) == render_markdown(" \n ") == ""
    assert render_markdown_inline("") == markdown_excerpt(None, 10) == ""


def test_inline_text_keeps_phrasing_only():
    assert render_markdown_inline(
        'Lancé en 2019 au sein du <span class="fr-text--bold">ministère des Armées</span>, **ouvert** '
        '<a href="https://citoyens.transformation.gouv.fr/" target="_blank">aux citoyens</a>.'
    ) == (
        'Lancé en 2019 au sein du <span class="fr-text--bold">ministère des Armées</span>, <strong>ouvert</strong> '
        '<a href="https://citoyens.transformation.gouv.fr/" rel="noopener noreferrer">aux citoyens</a>.'
    )
    assert render_markdown_inline("<p>Un</p><h1>Deux</h1><ul><li>trois</li></ul>") == "UnDeuxtrois"


def test_an_excerpt_is_plain_text_cut_at_a_word():
    text = "## Contexte\n\nLe **logement** représente 11 % des [émissions](https://x.example) &amp; plus."
    assert markdown_excerpt(text, 200) == "Contexte Le logement représente 11 % des émissions & plus."
    assert markdown_excerpt(text, 30) == "Contexte Le logement…"
    assert len(markdown_excerpt(text, 30)) <= 30


# --- Cache ----------------------------------------------------------------------------------------------------


def cache_key(kind: str, text: str) -> str:
    return markup._cache_key(kind, text)


def test_a_text_is_rendered_once_then_read_from_the_cache():
    text = "Un texte **rendu**."
    html = render_markdown(text)
    key = cache_key("block2", text)
    assert key.startswith(f"markup:{markup.RENDERER_VERSION}:")
    assert cache.get(key) == str(html)
    # Another process (no local copy) reads Django's cache: here, an entry written there is what comes back.
    markup._recent.entries.clear()
    cache.set(key, "<p>depuis le cache</p>")
    assert render_markdown(text) == "<p>depuis le cache</p>"
    # A changed text is another entry: never the old rendering.
    assert render_markdown(text + " Modifié.") == "<p>Un texte <strong>rendu</strong>. Modifié.</p>"
    # The heading level is part of the key.
    assert render_markdown("# Titre", top=3) == "<h3>Titre</h3>"
    assert render_markdown("# Titre") == "<h2>Titre</h2>"


# --- Template filters -----------------------------------------------------------------------------------------


def test_the_template_filters():
    template = Template(
        "{% load markup %}<div>{{ text|markdown }}</div><div>{{ text|markdown:3 }}</div>"
        "<p>{{ short|markdown_inline }}</p><p>{{ text|markdown_excerpt:20 }}</p>"
    )
    rendered = template.render(Context({"text": "# Titre\n\nPremier **paragraphe** <x>", "short": "*court*"}))
    assert rendered == (
        "<div><h2>Titre</h2>\n<p>Premier <strong>paragraphe</strong> </p></div>"
        "<div><h3>Titre</h3>\n<p>Premier <strong>paragraphe</strong> </p></div>"
        "<p><em>court</em></p><p>Titre Premier…</p>"
    )


# --- Whatever the text ----------------------------------------------------------------------------------------

FRAGMENTS = [
    "<script>",
    "</script>",
    "<scr",
    "ipt>",
    "<!--",
    "-->",
    "<!--StartFragment-->",
    "<!-- commentaire -->",
    "<!",
    "--",
    "javascript:",
    "JavaScript:",
    "java\tscript:",
    "&#x6A;avascript:",
    "&#106;",
    "data:text/html,",
    "vbscript:",
    '<a href="',
    "<a href='",
    "<a href=",
    '">',
    "'>",
    ">",
    "<",
    "</a>",
    "[x](",
    "![x](",
    ")",
    "](",
    "<img src=x onerror=alert(1)>",
    " onclick=alert(1)",
    "<style>",
    'style="',
    "<svg onload=alert(1)>",
    "<iframe>",
    "<h1>",
    "# ",
    "\n",
    "\n\n",
    "`",
    "```\n",
    "| a | b |\n|-|-|\n",
    '<abbr title="',
    "<table>",
    '<span class="fr-text--bold',
    "&",
    "&lt;",
    "/",
    "#",
]
ADDRESSES = [
    "javascript:alert(1)",
    " JavaScript:x",
    "java\tscript:x",
    "&#106;avascript:x",
    "data:text/html,x",
    "vbscript:x",
    "https://ok.example",
    "/relatif",
    "#ancre",
    "mailto:a@b.fr",
    "//hote.example",
]
# An element written in HTML: any tag, any attribute, a dangerous address or any text as its value.
elements = st.builds(
    lambda tag, name, value, quote, body: f"<{tag} {name}={quote}{value}{quote}>{body}</{tag}>",
    st.sampled_from(["a", "img", "p", "span", "div", "abbr", "iframe", "form", "svg", "h1", "table", "td"]),
    st.sampled_from(["href", "src", "onclick", "style", "class", "title", "id", "formaction", "xlink:href"]),
    st.one_of(st.sampled_from(ADDRESSES), st.text(max_size=12)),
    st.sampled_from(['"', "'", ""]),
    st.text(max_size=8),
)
links = st.builds(
    lambda image, address: f"{image}[texte]({address})", st.sampled_from(["", "!"]), st.sampled_from(ADDRESSES)
)
TABLE_CLASSES = {"fr-table", "fr-table--no-caption"}
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12), elements, links), max_size=30).map(
    "".join
)


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, top=st.integers(min_value=2, max_value=6))
def test_whatever_the_text_the_output_is_safe(text, top):
    for html in (render_markdown(text, top=top), render_markdown_inline(text)):
        lowered = html.lower()
        assert "<script" not in lowered
        assert "<style" not in lowered
        assert "<!--" not in html
        parsed = Elements(html)
        assert not parsed.comments
        for tag, attrs in parsed.tags:
            assert tag in markup.BLOCK_TAGS - {"h1"}
            for name in attrs:
                assert not name.startswith("on")
                assert name in {"href", "title", "rel", "class", "scope", "tabindex"}
            if "class" in attrs:
                assert set(attrs["class"].split()) <= markup.CLASSES.get(tag, set()) | TABLE_CLASSES
            if "href" in attrs:
                href = attrs["href"]
                assert href.startswith(("https://", "http://", "mailto:", "#")), href
                # (an https address may hold "javascript:" in its path, e.g. `/<script>javascript:` made absolute:
                # harmless, the scheme is what a browser runs)
                assert urlsplit("".join(href.split())).scheme in {"https", "http", "mailto", ""}, href
                assert attrs["rel"] == "noopener noreferrer"
