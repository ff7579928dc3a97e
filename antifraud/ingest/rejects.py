"""The reject report: rejects/<file stem>-<YYYYmmddTHHMMSS>.csv beside the database."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from antifraud import config


def write(rejects: pd.DataFrame, db: Path, file_name: str, now: dt.datetime) -> Path:
    """UTF-8 with BOM so Excel opens it; the frame already carries no personal column."""
    folder = config.rejects_dir(Path(db))
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(file_name).stem
    path = folder / f"{stem}-{now:%Y%m%dT%H%M%S}.csv"
    n = 2
    while path.exists():                      # two imports of one file within a second
        path = folder / f"{stem}-{now:%Y%m%dT%H%M%S}-{n}.csv"
        n += 1
    try:
        rejects.to_csv(path, index=False, encoding="utf-8-sig")
    except BaseException:
        path.unlink(missing_ok=True)      # a cut-off report (disk full) must not look complete
        raise
    return path
