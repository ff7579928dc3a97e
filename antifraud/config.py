"""Where things live and what a centre has configured (settings.toml)."""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "antifraud.duckdb"


class UsageError(Exception):
    """Unusable input: the CLI prints the message on one line and exits 2."""


def settings_path() -> Path:
    return Path(os.environ.get("ANTIFRAUD_SETTINGS", ROOT / "settings.toml"))


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def settings() -> dict:
    """The parsed settings file; re-read when the file changes."""
    path = settings_path()
    return _load(str(path), path.stat().st_mtime_ns)


def setting(dotted: str, default=None):
    node = settings()
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def project_path(dotted: str) -> Path:
    """A path setting resolved against the project root."""
    value = Path(setting(f"paths.{dotted}"))
    return value if value.is_absolute() else ROOT / value


def db_path(cli_value: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """(path, is_default). `--db` beats ANTIFRAUD_DB beats data/antifraud.duckdb."""
    if cli_value:
        return Path(cli_value), False
    env = os.environ.get("ANTIFRAUD_DB")
    if env:
        return Path(env), False
    return DEFAULT_DB, True


def rejects_dir(db: Path) -> Path:
    return db.parent / "rejects"
