import datetime as dt

import pytest

from antifraud import clock, periods


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


# ---------------------------------------------------------------- what the data covers (DATA.md, revised)

SUNDAY_NIGHT = dt.datetime(2026, 11, 22, 23, 41)      # the last event of 2026-W47
FIRST = dt.date(2024, 11, 25)


def span(as_of=SUNDAY_NIGHT, arrived=dt.datetime(2026, 11, 23, 9, 0), first=FIRST):
    return periods.DataSpan(first_day=first, data_as_of=as_of, as_of_imported_at=arrived, last_import_at=arrived)


def test_a_week_is_complete_once_the_rows_of_its_last_day_arrived_after_it_ended():
    w47 = periods.parse("2026-W47")
    assert span().of(w47) == periods.COMPLETE and span().default_week().key == "2026-W47"
    # imported on Sunday night itself: the week could still receive reports
    early = span(arrived=dt.datetime(2026, 11, 22, 23, 50))
    assert early.of(w47) == periods.PROVISIONAL and early.default_week().key == "2026-W46"
    # the data reaches into the next week: the Sunday was final when those rows were exported
    later = span(as_of=dt.datetime(2026, 11, 24, 10, 0), arrived=dt.datetime(2026, 11, 24, 12, 0))
    assert later.of(w47) == periods.COMPLETE and later.of(periods.parse("2026-W48")) == periods.PROVISIONAL
    assert later.default_week().key == "2026-W47"


def test_an_import_of_old_data_never_moves_the_default_past_the_data():
    # the first-run sample (to 2026-11-22) imported a year later: still 2026-W47, and November is not complete
    old = span(arrived=dt.datetime(2027, 11, 30, 9, 0))
    assert old.default_week().key == "2026-W47" and old.default_month().key == "2026-10"
    assert old.of(periods.parse("2026-11")) == periods.PROVISIONAL
    for moment in ("2026-11-30", "2027-11-23", "2026-12-31T23:59", "2027-01-01", "2027-01-04"):
        with clock.frozen(moment):
            assert old.default_week().key == "2026-W47"


def test_periods_the_data_does_not_reach_have_no_data():
    s = span()
    assert s.of(periods.parse("2026-W48")) == periods.NO_DATA
    assert s.of(periods.parse("2024-W47")) == periods.NO_DATA           # before the first day
    assert s.of(periods.parse("2024-11")) == periods.PROVISIONAL          # data starts on the 25th
    assert "数据尚未导入（数据截至 11-22）" in s.notice(periods.parse("2026-W48"))
    assert "临时数据" in s.notice(periods.parse("2026-11")) and s.notice(periods.parse("2026-W47")) is None
    assert not s.covers(*periods.parse("2024-W50").ytd())                 # 2024-01-01 is before the data
    assert s.covers(*periods.parse("2025-W47").ytd())


def test_month_complete_and_empty_database():
    end_of_month = span(as_of=dt.datetime(2026, 11, 30, 22, 0), arrived=dt.datetime(2026, 12, 1, 8, 0))
    assert end_of_month.default_month().key == "2026-11" and end_of_month.default_week().key == "2026-W48"
    empty = periods.DataSpan()
    assert empty.of(periods.parse("2026-W47")) == periods.NO_DATA
    with clock.frozen("2026-12-03T10:00"):
        assert empty.default_week().key == "2026-W48"        # nothing to follow: the week before today's
