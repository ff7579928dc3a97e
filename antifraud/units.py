"""The bureaus (units.csv) and stations (stations.csv): configuration a centre edits."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from antifraud import config

UNIT_COLUMNS = ["bureau_id", "bureau_name", "district_name", "population", "aliases", "kind", "lon", "lat"]
STATION_COLUMNS = ["station_id", "station_name", "bureau_id", "lon", "lat"]


def load_units(path=None) -> pd.DataFrame:
    path = path or config.project_path("units")
    frame = pd.read_csv(path, dtype={"bureau_id": str, "aliases": str}, encoding="utf-8-sig")
    for c in UNIT_COLUMNS:
        if c not in frame:
            frame[c] = None
    frame["aliases"] = frame["aliases"].fillna("")
    return frame[UNIT_COLUMNS]


def load_stations(path=None) -> pd.DataFrame:
    path = path or config.project_path("stations")
    try:
        frame = pd.read_csv(path, dtype={"station_id": str, "bureau_id": str}, encoding="utf-8-sig")
    except FileNotFoundError:
        frame = pd.DataFrame(columns=STATION_COLUMNS)
    for c in STATION_COLUMNS:
        if c not in frame:
            frame[c] = None
    return frame[STATION_COLUMNS]


def clean_name(text) -> str:
    """Fold full-width characters and drop spaces so '牧野区 分局' matches '牧野区分局'."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", text)


def alias_map(units: pd.DataFrame) -> dict[str, str]:
    """Every known spelling (id, name, district, aliases) -> bureau_id."""
    out: dict[str, str] = {}
    for row in units.itertuples(index=False):
        names = [row.bureau_id, row.bureau_name, row.district_name, *str(row.aliases or "").split("|")]
        for name in names:
            key = clean_name(name)
            if key:
                out[key] = row.bureau_id
    return out


def resolve(values: pd.Series, units: pd.DataFrame) -> pd.Series:
    """Bureau names in an extract -> bureau_id (NaN where unknown)."""
    mapping = alias_map(units)
    uniques = pd.Series(values.dropna().unique())
    resolved = {v: mapping.get(clean_name(v)) for v in uniques}
    return values.map(resolved)
