"""Point-in-polygon and distance-to-border on the county polygons (numpy, no GIS stack)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def load_polygons(path: Path) -> dict[str, list[list[np.ndarray]]]:
    """bureau_id -> list of polygons, each a list of rings (shell first) as (n, 2) arrays."""
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, list[list[np.ndarray]]] = {}
    for feature in collection["features"]:
        geometry = feature["geometry"]
        coords = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            coords = [coords]
        out[str(feature["properties"]["bureau_id"])] = [
            [np.asarray(ring, dtype=float) for ring in polygon] for polygon in coords]
    return out


def _ring_contains(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised over points."""
    x1, y1 = ring[:-1, 0][None, :], ring[:-1, 1][None, :]
    x2, y2 = ring[1:, 0][None, :], ring[1:, 1][None, :]
    px, py = x[:, None], y[:, None]
    crosses = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xcross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    return (crosses & (px < xcross)).sum(axis=1) % 2 == 1


def contains(polygons: list[list[np.ndarray]], lon, lat) -> np.ndarray:
    x, y = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    inside = np.zeros(len(x), dtype=bool)
    for polygon in polygons:
        here = _ring_contains(polygon[0], x, y)
        for hole in polygon[1:]:
            here &= ~_ring_contains(hole, x, y)
        inside |= here
    return inside


def border_distance(polygons: list[list[np.ndarray]], lon, lat) -> np.ndarray:
    """Distance in degrees from each point to the nearest edge of any ring."""
    x, y = np.atleast_1d(np.asarray(lon, float))[:, None], np.atleast_1d(np.asarray(lat, float))[:, None]
    best = np.full(x.shape[0], np.inf)
    for polygon in polygons:
        for ring in polygon:
            ax, ay = ring[:-1, 0][None, :], ring[:-1, 1][None, :]
            dx, dy = ring[1:, 0][None, :] - ax, ring[1:, 1][None, :] - ay
            length2 = np.where(dx * dx + dy * dy == 0, 1e-18, dx * dx + dy * dy)
            t = np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0, 1)
            d = np.hypot(x - (ax + t * dx), y - (ay + t * dy)).min(axis=1)
            best = np.minimum(best, d)
    return best
