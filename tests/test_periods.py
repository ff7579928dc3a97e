import datetime as dt

import pytest

from antifraud import periods


def test_week_parse_and_compare():
    w = periods.parse("2026-W47")
    assert (w.start, w.end) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert w.prev().key == "2026-W46" and w.last_year().key == "2025-W47"
    assert w.ytd() == (dt.date(2026, 1, 1), dt.date(2026, 11, 22))
    assert w.ytd_last_year() == (dt.date(2025, 1, 1), dt.date(2025, 11, 22))


def test_week_53_compares_with_52():
    w = periods.parse("2026-W53")
    assert w.last_year().key == "2025-W52"


def test_month():
    m = periods.parse("2026-03")
    assert m.prev().key == "2026-02" and m.last_year().key == "2025-03" and m.end == dt.date(2026, 3, 31)
    assert periods.parse("2024-02").ytd_last_year() == (dt.date(2023, 1, 1), dt.date(2023, 2, 28))


@pytest.mark.parametrize("bad", ["2026-W60", "2026-13", "W47", "", "1; DROP TABLE cases"])
def test_bad_periods(bad):
    with pytest.raises(ValueError):
        periods.parse(bad)


def test_completeness():
    w = periods.parse("2026-W47")
    assert not w.is_complete(dt.datetime(2026, 11, 22, 23, 41))
    assert w.is_complete(dt.datetime(2026, 11, 22, 23, 41), dt.datetime(2026, 11, 23, 7, 0))
    assert periods.last_complete_week(dt.datetime(2026, 11, 22, 23, 41)).key == "2026-W46"
    assert periods.last_complete_week(dt.datetime(2026, 11, 23, 0, 5)).key == "2026-W47"
