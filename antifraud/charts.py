"""One plotly template (light and dark) and the pure chart builders: frames in, figures out.

Every builder takes a title that says what the chart shows; captions (the metric
definitions) are placed by the page. Amounts arrive in yuan and are drawn in 万元.
"""
from __future__ import annotations

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
    # by name: a figure then refers to the registered template instead of copying it (~10× faster)
    if "antifraud_dark" not in pio.templates:
        pio.templates["antifraud"] = _template(False)
        pio.templates["antifraud_dark"] = _template(True)


def use_template(dark: bool = False) -> str:
    """Register both templates and make the chosen one plotly's default."""
    _register()
    name = "antifraud_dark" if dark else "antifraud"
    pio.templates.default = name
    return name


def apply_theme(fig: go.Figure, dark: bool = False) -> go.Figure:
    _register()
    fig.update_layout(template="antifraud_dark" if dark else "antifraud")
    return fig


def _fig(title: str, height: int = 360) -> go.Figure:
    _register()
    fig = go.Figure()
    fig.update_layout(template="antifraud", title=title, height=height)
    return fig


def wan(series):
    return series.astype(float) / 10000.0


def trend_vs_last_year(frame, title: str, unit: str = "起", value_label: str = "本年",
                       before_label: str = "去年同期") -> go.Figure:
    """Lines over periods: `label`, `now`, `last_year` (already in display units)."""
    fig = _fig(title)
    fig.add_scatter(x=frame["label"], y=frame["last_year"], name=before_label, mode="lines+markers",
                    line=dict(color=BEFORE, width=2, dash="dot"))
    fig.add_scatter(x=frame["label"], y=frame["now"], name=value_label, mode="lines+markers",
                    line=dict(color=NOW, width=3))
    # the unit is in the title; a rotated one-character axis title only adds clutter
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(type="category")
    return fig


def bars(frame, x: str, y: str, title: str, unit: str = "", horizontal: bool = True,
         color: str | list[str] | None = None, text_format: str = "{:,.0f}", height: int | None = None,
         reference: float | None = None, reference_label: str = "") -> go.Figure:
    """One bar per row, labelled with its value; an optional reference line (e.g. the city)."""
    n = len(frame)
    fig = _fig(title, height or (max(260, 28 * n + 90) if horizontal else 360))
    text = [text_format.format(v) if v == v else "—" for v in frame[y]]
    top = max([float(v) for v in frame[y] if v == v] + [0.0])
    if horizontal:
        fig.add_bar(y=frame[x], x=frame[y], orientation="h", text=text, textposition="outside",
                    marker_color=color or NOW, cliponaxis=False)
        fig.update_yaxes(autorange="reversed", type="category")
        # room for the value labels outside the longest bar
        fig.update_xaxes(title=unit, range=[0, top * 1.15] if top > 0 else None)
    else:
        fig.add_bar(x=frame[x], y=frame[y], text=text, textposition="outside",
                    marker_color=color or NOW, cliponaxis=False)
        fig.update_xaxes(type="category")
        fig.update_yaxes(title=unit)
    if reference is not None and reference == reference:
        if horizontal:
            fig.add_vline(x=reference, line=dict(color=GREY, dash="dash"),
                          annotation_text=reference_label, annotation_position="top")
        else:
            fig.add_hline(y=reference, line=dict(color=GREY, dash="dash"),
                          annotation_text=reference_label, annotation_position="right")
    fig.update_layout(showlegend=False)
    return fig


def stacked(frame, x: str, series: dict[str, str], title: str, unit: str = "",
            horizontal: bool = False, height: int | None = None,
            overlay: dict[str, str] | None = None) -> go.Figure:
    """Stacked bars: `series` maps column -> legend name; `overlay` columns drawn as markers on top."""
    n = len(frame)
    fig = _fig(title, height or (max(280, 28 * n + 100) if horizontal else 360))
    for i, (col, name) in enumerate(series.items()):
        if horizontal:
            fig.add_bar(y=frame[x], x=frame[col], name=name, orientation="h",
                        marker_color=PALETTE[i % len(PALETTE)])
        else:
            fig.add_bar(x=frame[x], y=frame[col], name=name, marker_color=PALETTE[i % len(PALETTE)])
    for col, name in (overlay or {}).items():
        style = dict(mode="markers", name=name, marker=dict(symbol="diamond", size=10, color="#8e6bb0"))
        if horizontal:
            fig.add_scatter(y=frame[x], x=frame[col], **style)
        else:
            fig.add_scatter(x=frame[x], y=frame[col], **style)
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_xaxes(title=unit)
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(title=unit)
    return fig


def grouped(frame, x: str, series: dict[str, str], title: str, unit: str = "",
            text_format: str | None = None, height: int | None = None) -> go.Figure:
    """Side-by-side bars (e.g. this period / last four weeks / last year)."""
    fig = _fig(title, height or 380)
    colours = [NOW, BEFORE, "#e3b778", "#8fbf9f"]
    for i, (col, name) in enumerate(series.items()):
        text = [text_format.format(v) if v == v else "" for v in frame[col]] if text_format else None
        fig.add_bar(x=frame[x], y=frame[col], name=name, marker_color=colours[i % len(colours)],
                    text=text, textposition="outside" if text else None, cliponaxis=False)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=unit)
    return fig


def histogram(values, title: str, unit: str = "分钟", bin_size: float = 10, limit: float | None = None,
              marker: float | None = None, marker_label: str = "") -> go.Figure:
    """Distribution with a marker line (e.g. the 30-minute mark); values beyond `limit` piled at the end."""
    vals = [float(v) for v in values if v == v]
    if limit is not None:
        vals = [min(v, limit) for v in vals]
    fig = _fig(title)
    end = (limit or (max(vals) if vals else 1)) + bin_size
    fig.add_histogram(x=vals, xbins=dict(start=0, end=end, size=bin_size), marker_color=NOW)
    fig.update_xaxes(range=[0, end])
    if marker is not None:
        fig.add_vline(x=marker, line=dict(color=RED, dash="dash", width=2),
                      annotation_text=marker_label, annotation_position="top right")
    fig.update_xaxes(title=unit)
    fig.update_yaxes(title="案件数")
    fig.update_layout(showlegend=False, bargap=0.05)
    return fig


def boxes(frame, group: str, value: str, title: str, unit: str = "分钟", order=None,
          marker: float | None = None, height: int | None = None) -> go.Figure:
    """Horizontal box plots of `value` per `group` (minutes to stop-payment per bank, …)."""
    groups = list(order) if order is not None else list(frame[group].dropna().unique())
    fig = _fig(title, height or max(300, 30 * len(groups) + 100))
    for g in groups:
        vals = frame.loc[frame[group] == g, value]
        fig.add_box(x=vals, name=str(g), marker_color=NOW, boxpoints=False, orientation="h")
    if marker is not None:
        fig.add_vline(x=marker, line=dict(color=RED, dash="dash"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=unit)
    fig.update_layout(showlegend=False)
    return fig


# Heatmap ramps: light runs from near-white to the series blue; on the dark wall an empty cell must
# sink into the background and a high count glow (a near-white cell would be the loudest thing there).
HEAT_LIGHT = [[0, "#f3f6fa"], [1, NOW]]
HEAT_DARK = [[0, "#141a24"], [0.4, "#1f4a7a"], [1, "#3f86d9"]]


def heatmap(matrix, title: str, unit: str = "起", height: int | None = None, dark: bool = False) -> go.Figure:
    """A rows × columns table of counts, coloured and labelled (`dark`: the wall's ramp)."""
    fig = _fig(title, height or max(300, 30 * len(matrix.index) + 120))
    fig.add_heatmap(z=matrix.values, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                    colorscale=HEAT_DARK if dark else HEAT_LIGHT, text=matrix.values,
                    texttemplate="%{text}", hovertemplate="%{y} · %{x}: %{z}" + unit + "<extra></extra>",
                    showscale=False, xgap=2 if dark else 0, ygap=2 if dark else 0)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="top")
    if dark:
        # the column labels sit on top, under the title: the wall's larger title needs the room
        fig.update_layout(margin=dict(t=95))
    return fig


def lines(frame, x: str, series: dict[str, str], title: str, unit: str = "", percent: bool = False) -> go.Figure:
    fig = _fig(title)
    for i, (col, name) in enumerate(series.items()):
        fig.add_scatter(x=frame[x], y=frame[col], name=name, mode="lines+markers",
                        line=dict(color=PALETTE[i % len(PALETTE)], width=3 if i == 0 else 2))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=unit, rangemode="tozero", tickformat=".0%" if percent else None)
    return fig
