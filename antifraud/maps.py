"""Offline pydeck maps: county polygons coloured by a rate, zones and stations as points.

No basemap: `map_provider=None` (a style of None still fetches tiles), the county
boundaries are drawn from sample_data/boundaries.geojson, labels use the local CJK font.
Pure builders: frames and the GeoJSON dict in, a pydeck.Deck out.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pydeck as pdk

from antifraud import config

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
# Light-to-dark red ramp (ColorBrewer Reds, 5 classes); grey for no data.
RAMP = [[254, 229, 217], [252, 174, 145], [251, 106, 74], [222, 45, 38], [165, 15, 21]]
NO_DATA = [200, 200, 200]


def boundaries_stamp(path: Path | None = None) -> int | None:
    """The boundary file's modification time (None: no file): part of a kept map's key."""
    path = Path(path) if path else config.project_path("boundaries")
    return path.stat().st_mtime_ns if path.exists() else None


def load_boundaries(path: Path | None = None) -> dict | None:
    """The county polygons (properties bureau_id, district_name), or None when the file is missing.

    Read once per file and modification time and shared (every kept map holds the same
    geometry): callers must not change it — `choropleth` colours copies of the properties.
    """
    path = Path(path) if path else config.project_path("boundaries")
    if not path.exists():
        return None
    return _read_boundaries(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read_boundaries(path: str, mtime_ns: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def fit_view(boundaries: dict | None, width_px: int, height_px: int, fill: float = 0.94) -> dict | None:
    """longitude, latitude and zoom that fit the polygons' bounding box into a width × height
    viewport (deck.gl's web mercator, a 512-pixel world at zoom 0); None without polygons.
    The wall uses it to fill its larger map; the browser view keeps its fixed view."""
    lons, lats = [], []

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            lons.append(float(c[0]))
            lats.append(float(c[1]))
        else:
            for x in c:
                walk(x)
    for f in (boundaries or {}).get("features", []):
        walk((f.get("geometry") or {}).get("coordinates") or [])
    if not lons:
        return None

    def y(lat):
        r = math.radians(lat)
        return (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2
    x0, x1 = (min(lons) + 180) / 360, (max(lons) + 180) / 360
    y0, y1 = y(max(lats)), y(min(lats))
    zoom = math.log2(min(width_px * fill / ((x1 - x0) * 512), height_px * fill / ((y1 - y0) * 512)))
    cy = (y0 + y1) / 2
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * cy))))
    return {"longitude": (min(lons) + max(lons)) / 2, "latitude": lat, "zoom": zoom}


def classes(values: list[float], k: int = 5) -> list[float]:
    """Upper bounds of up to k equal-count classes (quantiles) of the values, without repeats."""
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return []
    bounds = [vals[min(len(vals) - 1, int(math.ceil(len(vals) * (i + 1) / k)) - 1)] for i in range(k)]
    return sorted(set(bounds))


def _ramp(i: int, n: int) -> list[int]:
    """Class i of n spread over the ramp, so the top class is always the darkest."""
    return RAMP[-1] if n <= 1 else RAMP[round(i * (len(RAMP) - 1) / (n - 1))]


def colour(value, bounds: list[float]) -> list[int]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or not bounds:
        return NO_DATA + [160]
    for i, b in enumerate(bounds):
        if value <= b:
            return _ramp(i, len(bounds)) + [210]
    return RAMP[-1] + [210]


def legend(bounds: list[float], fmt: str = "{:.2f}") -> list[tuple[str, str]]:
    """(css colour, range text) per class, for a legend drawn beside the map."""
    out, low = [], 0.0
    for i, b in enumerate(bounds):
        r, g, bl = _ramp(i, len(bounds))
        out.append((f"rgb({r},{g},{bl})", f"{fmt.format(low)} – {fmt.format(b)}"))
        low = b
    return out


def legend_html(bounds: list[float], title: str) -> str:
    """A small colour legend (numbers only, no user text)."""
    if not bounds:
        return f"<div style='font-size:0.85rem;color:#888'>{title}：本期无案件</div>"
    items = "".join(f"<span style='display:inline-block;width:14px;height:14px;background:{c};"
                    f"margin:0 4px 0 12px;vertical-align:middle'></span>{t}" for c, t in legend(bounds))
    return f"<div style='font-size:0.85rem;color:#888'>{title}：{items}</div>"


class Deck(pdk.Deck):
    """A deck whose JSON is written once: Streamlit serialises the deck on every run, and a
    kept deck (`city_map`) then costs nothing to send again. Its layers carry fixed ids (pydeck
    would draw a random one each time), so the same map is the same message and the browser
    keeps it instead of receiving the boundaries again."""
    _json: str | None = None

    def to_json(self) -> str:
        if self._json is None:
            self._json = super().to_json()
        return self._json


def _fade(rgba: list[int], highlight, bureau_id) -> list[int]:
    if highlight and str(bureau_id) not in highlight:
        return rgba[:3] + [60]
    return rgba


def choropleth(boundaries: dict | None, values: pd.DataFrame, points: pd.DataFrame | None = None,
               *, value_label: str = "万人发案", dark: bool = False,
               highlight: set[str] | frozenset[str] = frozenset(), fit: tuple[int, int] | None = None,
               label_size: int = 14) -> Deck:
    """County polygons coloured by `values.value` (index or column bureau_id), labels and points.

    `values`: bureau_id, district_name, value, cases, kind ('county' | 'zone'), lon, lat.
    `points`: name, lon, lat, cases (stations sized by cases). Zones (no polygon) are drawn
    as ringed points coloured like the polygons. With `highlight` (bureau ids chosen in the
    filter) the other bureaus stay visible for context but faded. `fit` (width, height in
    pixels) zooms the city to fill a map of that size; `label_size` is the county names' size.
    Layer data are plain records (Streamlit would otherwise convert frames on every run).
    """
    v = values.reset_index() if "bureau_id" not in values else values.copy()
    bounds = classes([x for x in v["value"].tolist() if x and x > 0])
    by_id = {str(r.bureau_id): r for r in v.itertuples(index=False)}
    layers = []
    centre = [113.95, 35.25]
    if boundaries:
        # new feature and property dicts; the geometry is shared with `boundaries`, never changed
        gj = {**boundaries, "features": [{**f, "properties": dict(f.get("properties") or {})}
                                         for f in boundaries.get("features", [])]}
        for f in gj["features"]:
            props = f["properties"]
            row = by_id.get(str(props.get("bureau_id")))
            val = None if row is None else row.value
            props["fill"] = _fade(colour(val, bounds), highlight, props.get("bureau_id"))
            props["tip"] = (f"{props.get('district_name', '')}\n{value_label} "
                            f"{'—' if val is None or val != val else f'{val:.2f}'}"
                            f"\n发案 {0 if row is None else int(row.cases)}起")
        layers.append(pdk.Layer("GeoJsonLayer", id="districts", data=gj, stroked=True, filled=True, pickable=True,
                                get_fill_color="properties.fill",
                                get_line_color=[255, 255, 255] if not dark else [30, 30, 30],
                                line_width_min_pixels=1.5))
    coords = v.dropna(subset=["lon", "lat"])
    if len(coords):
        centre = [float(coords.lon.mean()), float(coords.lat.mean())]
    zones = coords[coords.get("kind", pd.Series(dtype=str)).astype(str) == "zone"].copy()
    if len(zones):
        zones["fill"] = [_fade(colour(x, bounds), highlight, b) for x, b in zip(zones["value"], zones["bureau_id"])]
        zones["tip"] = [f"{d}（功能区）\n{value_label} {'—' if x != x else f'{x:.2f}'}\n发案 {int(c)}起"
                        for d, x, c in zip(zones.district_name, zones.value, zones.cases)]
        layers.append(pdk.Layer("ScatterplotLayer", id="zones",
                                data=zones[["lon", "lat", "fill", "tip"]].to_dict("records"),
                                get_position=["lon", "lat"], get_fill_color="fill", get_radius=2200,
                                stroked=True, get_line_color=[60, 60, 60], line_width_min_pixels=2,
                                pickable=True))
    if points is not None and len(points):
        p = points.dropna(subset=["lon", "lat"]).copy()
        p = p[p.cases > 0]
        if len(p):
            p["radius"] = [300 + 450 * math.sqrt(c) for c in p.cases]
            p["tip"] = [f"{n}\n发案 {int(c)}起" for n, c in zip(p.name, p.cases)]
            layers.append(pdk.Layer("ScatterplotLayer", id="stations",
                                    data=p[["lon", "lat", "radius", "tip"]].to_dict("records"),
                                    get_position=["lon", "lat"], get_radius="radius",
                                    get_fill_color=[30, 80, 140, 150], stroked=True,
                                    get_line_color=[255, 255, 255], line_width_min_pixels=1,
                                    pickable=True))
    labels = coords.copy()
    if len(labels):
        labels["text"] = labels["district_name"].astype(str)
        layers.append(pdk.Layer("TextLayer", id="labels", data=labels[["lon", "lat", "text"]].to_dict("records"),
                                get_position=["lon", "lat"], get_text="text", get_size=label_size, character_set='"auto"', font_family=f'"{FONT}"',
                                get_color=[240, 240, 240] if dark else [40, 40, 40],
                                get_alignment_baseline='"bottom"', get_pixel_offset=[0, -8],
                                font_weight=600))
    view = pdk.ViewState(longitude=centre[0], latitude=centre[1], zoom=8.3, pitch=0)
    for k, v in ((fit_view(boundaries, *fit) if fit else None) or {}).items():
        setattr(view, k, v)
    # map_provider=None and map_style left at pydeck's sentinel: Streamlit then draws no basemap.
    # Passing map_style=None instead makes Streamlit fetch a CARTO style from the internet.
    return Deck(layers=layers, initial_view_state=view, map_provider=None, tooltip={"text": "{tip}"})


def city_map(values: pd.DataFrame, points: pd.DataFrame | None = None, **options) -> Deck:
    """`choropleth` over the configured boundaries, kept per content of `values` and `points`
    (queries.memo): every viewer of the same period and filter gets the same deck, already
    serialised. Callers must not change it."""
    import queries
    options = {**options, "highlight": frozenset(options.get("highlight") or ())}
    key = (queries.frame_key(values), queries.frame_key(points), tuple(sorted(options.items(), key=str)),
           boundaries_stamp())
    return queries.memo("city_map", key, lambda: choropleth(load_boundaries(), values, points, **options))
