"""The SVG charts (incubateur/transparency/charts.py, transparency/_chart.html): geometry from a published payload,
hidden values drawn as nothing and labelled as in the table, accessible and CSP-clean markup."""

import re

from django.template.loader import render_to_string

from incubateur.transparency.charts import COLUMNS_HEIGHT, MARGIN_BOTTOM, MARGIN_TOP, chart
from incubateur.transparency.suppression import COMPLEMENTARY, PRIMARY


def _payload(kind="columns", rows=None, columns=None, series=None, **fields):
    return {
        "key": "essai",
        "title": "Un indicateur",
        "definition": "Une définition.",
        "unit": "membres",
        "row_header": "Année",
        "columns": columns or ["Design", "Produit", "Total"],
        "rows": rows
        if rows is not None
        else [
            {"label": "2024", "values": [10, 20, 30]},
            {"label": "2025", "values": [PRIMARY, COMPLEMENTARY, 12]},
            {"label": "Total", "values": [14, 28, 42]},
        ],
        "total_row": True,
        "total_column": True,
        "threshold": 5,
        "suppressed": True,
        "chart": {"kind": kind, "series": series if series is not None else [0, 1], "percent": False},
        **fields,
    }


def test_stacked_columns_scale_to_the_tallest_stack_and_skip_hidden_values():
    drawn = chart(_payload())
    plot = COLUMNS_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    # One stack (2024: 10 + 20 = 30, the axis' top); 2025 is hidden entirely, the total row is not drawn.
    assert [(rect.css, rect.height) for rect in drawn.rects] == [
        ("chart-s0", round(plot * 10 / 30, 1)),
        ("chart-s1", round(plot * 20 / 30, 1)),
    ]
    assert drawn.rects[0].tooltip == "2024 — Design : 10 ; Produit : 20"
    assert [text.text for text in drawn.texts if text.anchor == "middle"] == ["2024", "2025"]
    assert drawn.legend == [("chart-s0", "Design"), ("chart-s1", "Produit")]
    assert "Les petits nombres masqués ne sont pas représentés." in drawn.description


def test_horizontal_bars_label_each_value_as_the_table_does():
    payload = _payload(kind="bars", series=[2], columns=["Design", "Produit", "Total"])
    drawn = chart(payload)
    assert [text.text for text in drawn.texts if text.anchor == "start"] == ["30", "12"]
    assert len(drawn.rects) == 2 and drawn.rects[0].width > drawn.rects[1].width
    hidden = _payload(kind="bars", series=[0])
    assert [text.text for text in chart(hidden).texts if text.anchor == "start"] == ["10", "< 5"]


def test_percentages_use_a_hundred_as_the_top():
    payload = _payload(
        kind="bars",
        columns=["Produits", "Avec", "Taux (%)"],
        rows=[{"label": "construction", "values": [4, 2, 50.0]}, {"label": "Ensemble", "values": [4, 2, 50.0]}],
        series=[2],
        total_row=False,
        suppressed=False,
        threshold=None,
    )
    payload["chart"]["percent"] = True
    drawn = chart(payload)
    assert [text.text for text in drawn.texts if text.anchor == "start"] == ["50 %", "50 %"]
    assert drawn.rects[0].width == drawn.rects[1].width


def test_no_data():
    drawn = chart(_payload(rows=[], total_row=False, suppressed=False))
    assert drawn.rects == []
    assert drawn.description == "Aucune donnée pour le moment."


def test_markup_is_accessible_and_csp_clean():
    html = render_to_string("transparency/_chart.html", {"chart": chart(_payload())})
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="graphique-essai-titre graphique-essai-description"' in svg
    assert '<title id="graphique-essai-titre">Un indicateur</title>' in svg
    assert '<desc id="graphique-essai-description">' in svg
    assert "style=" not in html and "<script" not in html and " on" not in re.sub(r'"[^"]*"', "", svg).lower()
    # Coordinates are written with a dot whatever the locale (French would write a comma).
    assert re.search(r'height="\d+,\d', svg) is None
    assert 'class="chart-s0"' in svg and 'class="chart-s1"' in svg
