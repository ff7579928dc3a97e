"""The product's one clock: every reading of "now" or "today" goes through here.

Times in the database are the centre's local wall-clock time without a zone (DATA.md), so
the clock reads the time in `[city] timezone` and drops the zone.

Time is an input. `ANTIFRAUD_NOW` (an ISO date or date-time in the centre's local time)
freezes the clock for a whole process and the processes it starts (a test's Streamlit
server, a CLI run); `frozen(...)` freezes it inside one process, for a block. The test
suite sets `ANTIFRAUD_NOW` once (tests/conftest.py), so no test depends on today's date.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from zoneinfo import ZoneInfo

ENV = "ANTIFRAUD_NOW"
_override: dt.datetime | None = None


def parse(text: str) -> dt.datetime:
    """'2026-11-23', '2026-11-23T09:00' or '2026-11-23 09:00:00' -> a naive local date-time."""
    value = dt.datetime.fromisoformat(str(text).strip())
    return value.replace(tzinfo=None) if value.tzinfo is None else _local(value)


def _zone() -> ZoneInfo | None:
    from antifraud import config
    try:
        return ZoneInfo(str(config.setting("city.timezone", "Asia/Shanghai")))
    except Exception:  # noqa: BLE001 - an unknown zone name must not take a page down
        return None


def _local(moment: dt.datetime) -> dt.datetime:
    zone = _zone()
    return (moment.astimezone(zone) if zone else moment.astimezone()).replace(tzinfo=None)


def now() -> dt.datetime:
    """The centre's local time now (naive), or the frozen time."""
    if _override is not None:
        return _override
    fixed = os.environ.get(ENV, "").strip()
    if fixed:
        return parse(fixed)
    return _local(dt.datetime.now(dt.timezone.utc))


def today() -> dt.date:
    return now().date()


def stamp() -> dt.datetime:
    """`now()` to the second, as stored (imports, audit, tasks, briefings)."""
    return now().replace(microsecond=0)


@contextlib.contextmanager
def frozen(moment: dt.datetime | dt.date | str):
    """Freeze the clock of this process at `moment` for the block (tests)."""
    global _override
    if isinstance(moment, str):
        moment = parse(moment)
    elif not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(9, 0))
    before, _override = _override, moment
    try:
        yield moment
    finally:
        _override = before
