"""Server-rendered SVG charts of the public statistics (#17; docs/adr/0005-charts.md).

`chart(payload)` turns an indicator's published payload (transparency.statistics) into the geometry that
`transparency/_chart.html` draws: no JavaScript, no inline style (the CSP forbids them: colours come from classes of
`transparency/statistics.css`, mapped to the DSFR illustrative palette), a `<title>` and a `<desc>` referenced by
`aria-labelledby` on the `role="img"` root. The numbers themselves are always in the table beside it (a chart alone
fails RGAA). Hidden (suppressed) values are drawn as nothing and labelled as in the table (« < 5 », « s »).

Two kinds: "columns" (categories along x — years, quarters — series stacked, legend below) and "bars" (horizontal,
one series, for long category labels — phases, incubators, editions).
"""

import math
from dataclasses import dataclass, field

from incubateur.core.text import number_fr
from incubateur.transparency.suppression import is_hidden, label

PALETTE_SIZE = 10  # classes chart-s0 … chart-s9 (statistics.css)
WIDTH = 720
COLUMNS_HEIGHT = 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 64
BAR_LABELS = 230  # room for category labels left of horizontal bars
BAR_ROW = 28
LABEL_CHARACTERS = 34


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    tooltip: str


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    rotate: bool = False


@dataclass
class Chart:
    key: str
    title: str
    description: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    gridlines: list[tuple[float, float, float, float]] = field(default_factory=list)
    axis: tuple[float, float, float, float] = (0, 0, 0, 0)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)

    @property
    def title_id(self) -> str:
        return f"graphique-{self.key}-titre"

    @property
    def desc_id(self) -> str:
        return f"graphique-{self.key}-description"


def _number(value, percent: bool) -> str:
    text = number_fr(value)
    return f"{text} %" if percent else text


def _cell(value, threshold, percent: bool) -> str:
    if value is None:
        return "—"
    if is_hidden(value):
        return label(value, threshold)
    return _number(value, percent)


def _nice_max(value: float) -> tuple[float, float]:
    """A round top for the axis and its step (about 5 ticks)."""
    if value <= 0:
        return 1, 1
    rough = value / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    if step < 1:
        step = 1
    return math.ceil(value / step) * step, step


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def _categories(payload: dict) -> list[dict]:
    rows = payload["rows"]
    return rows[:-1] if payload.get("total_row") else rows


def chart(payload: dict) -> Chart:
    if payload["chart"]["kind"] == "bars":
        return _bars(payload)
    return _columns(payload)


def _description(payload: dict, what: str) -> str:
    text = f"{what} Les valeurs exactes sont dans le tableau qui suit le graphique."
    if payload.get("suppressed"):
        text += " Les petits nombres masqués ne sont pas représentés."
    if not _categories(payload):
        text = "Aucune donnée pour le moment."
    return text


def _columns(payload: dict) -> Chart:
    categories = _categories(payload)
    series = payload["chart"]["series"]
    percent = payload["chart"].get("percent", False)
    threshold = payload.get("threshold")
    names = [payload["columns"][index] for index in series]
    what = f"Diagramme en colonnes : {payload['title'].lower()}, par {payload['row_header'].lower()}"
    if len(series) > 1:
        what += f", empilées par {', '.join(name.lower() for name in names)}."
    else:
        what += "."
    result = Chart(
        key=payload["key"],
        title=payload["title"],
        description=_description(payload, what),
        width=WIDTH,
        height=COLUMNS_HEIGHT,
    )
    stacks = [
        sum(v for v in (row["values"][index] for index in series) if isinstance(v, int | float)) for row in categories
    ]
    top, step = _nice_max(max(stacks, default=0))
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = COLUMNS_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    base = MARGIN_TOP + plot_height
    result.axis = (MARGIN_LEFT, base, WIDTH - MARGIN_RIGHT, base)
    tick = 0.0
    while tick <= top + 1e-9:
        y = base - plot_height * tick / top
        result.gridlines.append((MARGIN_LEFT, round(y, 1), WIDTH - MARGIN_RIGHT, round(y, 1)))
        result.texts.append(
            Text(MARGIN_LEFT - 8, round(y + 4, 1), _number(int(tick) if tick == int(tick) else tick, percent), "end")
        )
        tick += step
    count = max(len(categories), 1)
    slot = plot_width / count
    bar = slot * 0.7
    every = max(1, math.ceil(count / 12))  # at most a dozen labels along x
    for position, row in enumerate(categories):
        x = MARGIN_LEFT + slot * position + (slot - bar) / 2
        y = base
        parts = []
        first = len(result.rects)
        for number, index in enumerate(series):
            value = row["values"][index]
            parts.append(f"{payload['columns'][index]} : {_cell(value, threshold, percent)}")
            if not isinstance(value, int | float) or value <= 0:
                continue
            height = plot_height * value / top
            y -= height
            result.rects.append(
                Rect(round(x, 1), round(y, 1), round(bar, 1), round(height, 1), f"chart-s{number % PALETTE_SIZE}", "")
            )
        tooltip = f"{row['label']} — " + " ; ".join(parts)
        for rect in result.rects[first:]:
            rect.tooltip = tooltip
        if position % every == 0:
            result.texts.append(Text(round(x + bar / 2, 1), base + 18, row["label"], rotate=count > 8))
    if len(series) > 1:
        result.legend = [(f"chart-s{number % PALETTE_SIZE}", name) for number, name in enumerate(names)]
    return result


def _bars(payload: dict) -> Chart:
    categories = _categories(payload)
    index = payload["chart"]["series"][0]
    percent = payload["chart"].get("percent", False)
    threshold = payload.get("threshold")
    columns = payload["columns"]
    name = columns[index] if index < len(columns) else payload["unit"]
    what = f"Diagramme en barres horizontales : {name.lower()}, par {payload['row_header'].lower()}."
    height = MARGIN_TOP + BAR_ROW * max(len(categories), 1) + 24
    result = Chart(
        key=payload["key"], title=payload["title"], description=_description(payload, what), width=WIDTH, height=height
    )
    values = [row["values"][index] for row in categories]
    top = 100 if percent else _nice_max(max((v for v in values if isinstance(v, int | float)), default=0))[0]
    left = BAR_LABELS
    plot_width = WIDTH - left - MARGIN_RIGHT - 72  # room for the value after the bar
    result.axis = (left, MARGIN_TOP - 4, left, MARGIN_TOP + BAR_ROW * len(categories))
    for position, (row, value) in enumerate(zip(categories, values, strict=True)):
        y = MARGIN_TOP + BAR_ROW * position
        text = _cell(value, threshold, percent)
        width = plot_width * value / top if isinstance(value, int | float) and value > 0 else 0
        if width:
            result.rects.append(
                Rect(left, y + 4, round(width, 1), BAR_ROW - 10, "chart-s0", f"{row['label']} : {text}")
            )
        result.texts.append(Text(left - 8, y + BAR_ROW / 2 + 4, _short(row["label"]), "end"))
        result.texts.append(Text(round(left + width + 6, 1), y + BAR_ROW / 2 + 4, text, "start"))
    return result
