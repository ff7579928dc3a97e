"""One plotly template (light and dark) and the pure chart builders: frames in, figures out.

Every builder takes a title that says what the chart shows; captions (the metric
definitions) are placed by the page. Amounts arrive in yuan and are drawn in 万元.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

FONT = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
# Muted categorical palette; red/green are kept for direction (bad/good) only.
PALETTE = ["#3b6ea8", "#e08a2c", "#5a9e6f", "#8e6bb0", "#c9a227", "#4aa3b5", "#b86d8a",
           "#7f7f7f", "#a3785a", "#6b8e23", "#9db4d6", "#d9a86c", "#8fbf9f"]
RED, GREEN, GREY = "#d64545", "#2e9d5b", "#9aa0a6"
NOW, BEFORE = "#3b6ea8", "#b8c4d6"


def _template(dark: bool) -> go.layout.Template:
    fg, bg, grid = ("#e8eaed", "#0e1117", "#2a2f3a") if dark else ("#262730", "#ffffff", "#e6e9ef")
    return go.layout.Template(layout=dict(
        font=dict(family=FONT, size=18 if dark else 14, color=fg),
        title=dict(font=dict(size=22 if dark else 16), x=0, xanchor="left"),
        paper_bgcolor=bg, plot_bgcolor=bg, colorway=PALETTE,
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis=dict(gridcolor=grid, zeroline=False, linecolor=grid, automargin=True),
        yaxis=dict(gridcolor=grid, zeroline=False, linecolor=grid, automargin=True),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, title=None),
        hoverlabel=dict(font=dict(family=FONT)), separators=".,",
    ))


def _register() -> None:
    """Register both templates; the light one is plotly's default in this process, for good.

    A new figure takes the default template for ~0.4 ms, while setting one on a figure costs
    ~2 ms (plotly copies it), and a page draws up to a dozen charts. The default is never
    switched to the dark one: it is process-wide, and one server runs the wall's sessions beside
    the browsers' — the wall's charts get the dark template one by one (apply_theme).
    """
    if "antifraud_dark" not in pio.templates:
        pio.templates["antifraud"] = _template(False)
        pio.templates["antifraud_dark"] = _template(True)
    if pio.templates.default != "antifraud":
        pio.templates.default = "antifraud"


def use_template(dark: bool = False) -> str:
    """Register both templates; the name of the chosen one (charts take it by apply_theme)."""
    _register()
    return "antifraud_dark" if dark else "antifraud"


def apply_theme(fig: go.Figure, dark: bool = False) -> go.Figure:
    """The dark template for the wall; a figure made here already has the light one."""
    _register()
    if dark or fig.layout.template.layout.paper_bgcolor != "#ffffff":
        fig.update_layout(template="antifraud_dark" if dark else "antifraud")
    return fig


def _fig(title: str, height: int = 360) -> go.Figure:
    return figure([], title, height)


def figure(data: list[dict], title: str, height: int = 360, **layout) -> go.Figure:
    """A figure from its traces and layout in one go: plotly validates everything once instead of
    on every add_*/update_* call (a stacked bar chart 9.7 -> 1.4 ms); the light template comes
    as plotly's default (_register)."""
    _register()
    return go.Figure(data=data, layout=dict(title=title, height=height, **layout))


def _values(series) -> list:
    """A column as a plain list: plotly checks a list far faster than a pandas Series."""
    return series.tolist() if hasattr(series, "tolist") else list(series)


def vline(x: float, line: dict, label: str = "", position: str = "top") -> tuple[dict, list[dict]]:
    """(shape, annotations) of a vertical line across the plot, as fig.add_vline draws it."""
    shape = dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)
    if not label:
        return shape, []
    anchor = {"top": ("center", "bottom"), "top right": ("left", "top")}[position]
    return shape, [dict(showarrow=False, text=label, x=x, xref="x", y=1, yref="y domain",
                        xanchor=anchor[0], yanchor=anchor[1])]


def hline(y: float, line: dict, label: str = "", position: str = "right") -> tuple[dict, list[dict]]:
    """(shape, annotations) of a horizontal line across the plot, as fig.add_hline draws it."""
    shape = dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y", line=line)
    if not label:
        return shape, []
    x, xanchor, yanchor = {"right": (1, "left", "middle"), "top left": (0, "left", "bottom")}[position]
    return shape, [dict(showarrow=False, text=label, x=x, xref="x domain", y=y, yref="y",
                        xanchor=xanchor, yanchor=yanchor)]


def wan(series):
    return series.astype(float) / 10000.0


def trend_vs_last_year(frame, title: str, unit: str = "起", value_label: str = "本年",
                       before_label: str = "去年同期") -> go.Figure:
    """Lines over periods: `label`, `now`, `last_year` (already in display units)."""
    x = _values(frame["label"])
    data = [dict(type="scatter", x=x, y=_values(frame["last_year"]), name=before_label, mode="lines+markers",
                 line=dict(color=BEFORE, width=2, dash="dot")),
            dict(type="scatter", x=x, y=_values(frame["now"]), name=value_label, mode="lines+markers",
                 line=dict(color=NOW, width=3))]
    # the unit is in the title; a rotated one-character axis title only adds clutter
    return figure(data, title, yaxis=dict(rangemode="tozero"), xaxis=dict(type="category"))


def bars(frame, x: str, y: str, title: str, unit: str = "", horizontal: bool = True,
         color: str | list[str] | None = None, text_format: str = "{:,.0f}", height: int | None = None,
         reference: float | None = None, reference_label: str = "") -> go.Figure:
    """One bar per row, labelled with its value; an optional reference line (e.g. the city)."""
    n = len(frame)
    text = [text_format.format(v) if v == v else "—" for v in frame[y]]
    top = max([float(v) for v in frame[y] if v == v] + [0.0])
    if horizontal:
        bar = dict(type="bar", y=_values(frame[x]), x=_values(frame[y]), orientation="h", text=text,
                   textposition="outside", marker=dict(color=color or NOW), cliponaxis=False)
        # room for the value labels outside the longest bar
        axes = dict(yaxis=dict(autorange="reversed", type="category"),
                    xaxis=dict(title=unit, range=[0, top * 1.15] if top > 0 else None))
    else:
        bar = dict(type="bar", x=_values(frame[x]), y=_values(frame[y]), text=text, textposition="outside",
                   marker=dict(color=color or NOW), cliponaxis=False)
        axes = dict(xaxis=dict(type="category"), yaxis=dict(title=unit))
    extra = {}
    if reference is not None and reference == reference:
        line = dict(color=GREY, dash="dash")
        shape, notes = (vline(reference, line, reference_label, "top") if horizontal
                        else hline(reference, line, reference_label))
        extra = dict(shapes=[shape], annotations=notes)
    return figure([bar], title, height or (max(260, 28 * n + 90) if horizontal else 360),
                   showlegend=False, **axes, **extra)


def stacked(frame, x: str, series: dict[str, str], title: str, unit: str = "",
            horizontal: bool = False, height: int | None = None,
            overlay: dict[str, str] | None = None) -> go.Figure:
    """Stacked bars: `series` maps column -> legend name; `overlay` columns drawn as markers on top."""
    n = len(frame)
    cats = _values(frame[x])
    data = []
    for i, (col, name) in enumerate(series.items()):
        values = _values(frame[col])
        data.append(dict(type="bar", name=name, marker=dict(color=PALETTE[i % len(PALETTE)]),
                         **(dict(y=cats, x=values, orientation="h") if horizontal else dict(x=cats, y=values))))
    for col, name in (overlay or {}).items():
        values = _values(frame[col])
        data.append(dict(type="scatter", mode="markers", name=name,
                         marker=dict(symbol="diamond", size=10, color="#8e6bb0"),
                         **(dict(y=cats, x=values) if horizontal else dict(x=cats, y=values))))
    if horizontal:
        axes = dict(yaxis=dict(autorange="reversed", type="category"), xaxis=dict(title=unit))
    else:
        axes = dict(xaxis=dict(type="category"), yaxis=dict(title=unit))
    return figure(data, title, height or (max(280, 28 * n + 100) if horizontal else 360),
                   barmode="stack", legend=dict(traceorder="normal"), **axes)


def grouped(frame, x: str, series: dict[str, str], title: str, unit: str = "",
            text_format: str | None = None, height: int | None = None) -> go.Figure:
    """Side-by-side bars (e.g. this period / last four weeks / last year)."""
    colours = [NOW, BEFORE, "#e3b778", "#8fbf9f"]
    cats = _values(frame[x])
    data = []
    for i, (col, name) in enumerate(series.items()):
        text = [text_format.format(v) if v == v else "" for v in frame[col]] if text_format else None
        data.append(dict(type="bar", x=cats, y=_values(frame[col]), name=name,
                         marker=dict(color=colours[i % len(colours)]), text=text,
                         textposition="outside" if text else None, cliponaxis=False))
    return figure(data, title, height or 380, barmode="group", xaxis=dict(type="category"),
                   yaxis=dict(title=unit))


def histogram(values, title: str, unit: str = "分钟", bin_size: float = 10, limit: float | None = None,
              marker: float | None = None, marker_label: str = "") -> go.Figure:
    """Distribution with a marker line (e.g. the 30-minute mark); values beyond `limit` piled at the end.

    Counted here and drawn as bars (the bins plotly would make: [start, start + size), from 0):
    the browser gets a few dozen counts instead of every value.
    """
    vals = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    vals = vals[~np.isnan(vals)]
    if limit is not None:
        vals = np.minimum(vals, limit)
    end = (limit if limit is not None else (float(vals.max()) if len(vals) else 1)) + bin_size
    edges = np.arange(0, end + bin_size / 2, bin_size)
    counts = np.histogram(vals[vals >= 0], bins=edges)[0] if len(edges) > 1 else np.array([])
    data = [dict(type="bar", x=(edges[:-1] + bin_size / 2).tolist(), y=counts.tolist(), width=bin_size,
                 marker=dict(color=NOW), hovertemplate="%{x}: %{y}<extra></extra>")]
    extra = {}
    if marker is not None:
        shape, notes = vline(marker, dict(color=RED, dash="dash", width=2), marker_label, "top right")
        extra = dict(shapes=[shape], annotations=notes)
    return figure(data, title, xaxis=dict(range=[0, end], title=unit), yaxis=dict(title="案件数"),
                   showlegend=False, bargap=0.05, **extra)


def box_figure(stats: "pd.DataFrame", title: str, unit: str = "分钟", marker: float | None = None,
               height: int | None = None) -> go.Figure:
    """The box plots of `box_stats` (groups in its order)."""
    names = [str(g) for g in stats.index]
    data = [dict(type="box", y=names, q1=stats.q1.tolist(), median=stats["median"].tolist(), q3=stats.q3.tolist(),
                 lowerfence=stats.lower.tolist(), upperfence=stats.upper.tolist(), marker=dict(color=NOW),
                 boxpoints=False, orientation="h")] if names else []
    extra = dict(shapes=[vline(marker, dict(color=RED, dash="dash"))[0]]) if marker is not None else {}
    return figure(data, title, height or max(300, 30 * len(names) + 100), showlegend=False,
                   yaxis=dict(autorange="reversed", type="category", categoryorder="array", categoryarray=names),
                   xaxis=dict(title=unit), **extra)


def box_stats(frame, group: str, value: str, groups) -> "pd.DataFrame":
    """q1, median, q3 and the whiskers (lower, upper) of `value` per group, in `groups` order;
    groups without a value are left out."""
    import pandas as pd
    rows = {}
    for g, vals in frame.groupby(group, sort=False)[value]:
        v = np.sort(vals.dropna().to_numpy(dtype=float))
        if not len(v):
            continue
        # plotly.js's "linear" quartiles interpolate at p·n − 0.5 (numpy's hazen) and its whiskers
        # end at the furthest values within 1.5 IQR of the box (box/calc.js)
        q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75], method="hazen")
        reach = 1.5 * (q3 - q1)
        rows[g] = {"q1": q1, "median": median, "q3": q3,
                   "lower": min(q1, v[v >= q1 - reach].min()), "upper": max(q3, v[v <= q3 + reach].max())}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["q1", "median", "q3", "lower", "upper"]
                                  ).reindex([g for g in groups if g in rows])


# Heatmap ramps: light runs from near-white to the series blue; on the dark wall an empty cell must
# sink into the background and a high count glow (a near-white cell would be the loudest thing there).
HEAT_LIGHT = [[0, "#f3f6fa"], [1, NOW]]
HEAT_DARK = [[0, "#141a24"], [0.4, "#1f4a7a"], [1, "#3f86d9"]]


def heatmap(matrix, title: str, unit: str = "起", height: int | None = None, dark: bool = False) -> go.Figure:
    """A rows × columns table of counts, coloured and labelled (`dark`: the wall's ramp)."""
    values = matrix.values.tolist()
    data = [dict(type="heatmap", z=values, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                 colorscale=HEAT_DARK if dark else HEAT_LIGHT, text=values, texttemplate="%{text}",
                 hovertemplate="%{y} · %{x}: %{z}" + unit + "<extra></extra>",
                 showscale=False, xgap=2 if dark else 0, ygap=2 if dark else 0)]
    # on the wall the column labels sit on top, under the title: its larger title needs the room
    extra = dict(margin=dict(t=95)) if dark else {}
    return figure(data, title, height or max(300, 30 * len(matrix.index) + 120),
                   yaxis=dict(autorange="reversed", type="category"), xaxis=dict(type="category", side="top"),
                   **extra)


def lines(frame, x: str, series: dict[str, str], title: str, unit: str = "", percent: bool = False) -> go.Figure:
    cats = _values(frame[x])
    data = [dict(type="scatter", x=cats, y=_values(frame[col]), name=name, mode="lines+markers",
                 line=dict(color=PALETTE[i % len(PALETTE)], width=3 if i == 0 else 2))
            for i, (col, name) in enumerate(series.items())]
    return figure(data, title, xaxis=dict(type="category"),
                   yaxis=dict(title=unit, rangemode="tozero", tickformat=".0%" if percent else None))
