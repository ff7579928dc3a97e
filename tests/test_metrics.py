"""Every catalogue metric against figures computed by hand from tests/fixtures (see comments)."""
import math

import pandas as pd
import pytest

from antifraud import measures, metrics, periods, stats

W47 = periods.parse("2026-W47")
CITY_POP = 6251929


@pytest.fixture()
def kpis(use_fixture_db):
    return measures.kpis(measures.window_totals(W47), "week")


def test_case_metrics_week(kpis):
    # W47 cases C1..C5; losses 10000+50000+20000+1200000+8000
    assert kpis["cases"]["value"] == 5
    assert kpis["loss"]["value"] == 1288000.00
    assert kpis["avg_loss"]["value"] == 257600.00
    assert kpis["stopped"]["value"] == 12000.00          # C1 2000 + C3 10000
    assert kpis["frozen"]["value"] == 6000.00            # C1 1000 + C2 5000
    assert kpis["returned"]["value"] == 2500.00          # C1 500 + C3 2000
    assert kpis["interception_rate"]["value"] == pytest.approx(18000 / 1288000, abs=1e-6)
    assert kpis["recovery_rate"]["value"] == pytest.approx(2500 / 1288000, abs=1e-6)
    # C1 15 min, C2 60 min, C3 exactly 30 min (counts as fast); C4, C5 lack times
    assert kpis["fast_stop_rate"]["value"] == pytest.approx(2 / 3, abs=1e-6)
    assert kpis["solved_rate"]["value"] == pytest.approx(2 / 5)
    assert kpis["cases_per_10k"]["value"] == pytest.approx(5 / CITY_POP * 10000, abs=1e-6)


def test_case_comparisons(kpis):
    c = kpis["cases"]
    assert c["prev_week"] == 2 and c["wow_pct"] == 150.0            # C6, C7
    assert c["last_year"] == 1 and c["yoy_pct"] == 400.0            # C8 (2025-W47)
    assert c["ytd"] == 8                                           # C1..C7 + C9
    assert c["ytd_last_year"] == 2                                 # C8, C10; C11 is after 11-22
    assert c["ytd_yoy_pct"] == 300.0
    assert c["z"] == pytest.approx(2 * (math.sqrt(5) - math.sqrt(2)), abs=0.01)
    assert c["flag"] == ""                                         # 1.64 < 2
    assert c["z_yoy"] == pytest.approx(2 * (math.sqrt(5) - 1), abs=0.01) and c["flag_yoy"] == "rise"


def test_warning_metrics(kpis):
    assert kpis["warnings"]["value"] == 6
    assert kpis["dissuaded"]["value"] == 3                          # W1, W2, W4
    assert kpis["dissuasion_rate"]["value"] == pytest.approx(0.5)
    # W2 45>30 (高), W3 180>120 (中), W5 never; W1 20, W4 660<=1440, W6 60<=120
    assert kpis["overdue_rate"]["value"] == pytest.approx(0.5)
    assert kpis["victimized_after_rate"]["value"] == pytest.approx(1 / 6, abs=1e-6)
    assert kpis["median_sign_minutes"]["value"] == pytest.approx(20.0)   # [5,10,30,60,20]
    # previous week W7, W8 both dissuaded: pooled two-proportion z = -0.5 / sqrt(.625*.375*(1/6+1/2))
    assert kpis["dissuasion_rate"]["prev_week"] == 1.0
    assert kpis["dissuasion_rate"]["z"] == pytest.approx(-1.26, abs=0.01)


def test_strike_metrics(kpis):
    assert kpis["arrests"]["value"] == 4 and kpis["arrests"]["prev_week"] == 2
    assert kpis["gangs"]["value"] == 1 and kpis["dens"]["value"] == 1
    assert kpis["cards_frozen"]["value"] == 15


def test_district_filter(use_fixture_db):
    f = measures.Filters(bureaus=("410711",))
    k = measures.kpis(measures.window_totals(W47, f))
    assert k["cases"]["value"] == 2 and k["loss"]["value"] == 28000.0   # C3, C5
    assert k["warnings"]["value"] == 2 and k["overdue_rate"]["value"] == 0.5  # W3 overdue, W4 not
    assert k["cases_per_10k"]["value"] == pytest.approx(2 / 378775 * 10000, abs=1e-6)


def test_type_filter(use_fixture_db):
    k = measures.kpis(measures.window_totals(W47, measures.Filters(types=("刷单返利",))))
    assert k["cases"]["value"] == 2 and k["warnings"]["value"] == 2       # C1, C3; W1, W3


def test_per_bureau_table(use_fixture_db):
    frame = measures.by_bureau(W47.start, W47.end)
    table = metrics.table(frame)
    assert len(frame) == 15
    assert table.loc["410725", "cases"] == 1 and table.loc["410725", "loss"] == 1200000
    assert table.loc["410703", "cases"] == 0 and pd.isna(table.loc["410703", "avg_loss"])


def test_month_period(use_fixture_db):
    k = measures.kpis(measures.window_totals(periods.parse("2026-11")), "month")
    assert k["cases"]["value"] == 7 and k["cases"]["prev_month"] == 0 and k["cases"]["mom_pct"] is None
    assert k["cases"]["last_year"] == 1          # C8 in 2025-11 (C11 is December)


def test_formats():
    assert metrics.get("loss").format(4123500) == "412.35万元"
    assert metrics.get("dissuasion_rate").format(7069 / 7070) == "99.99%"
    assert metrics.get("cases").format(61) == "61起"
    assert metrics.get("cases").format(None) == "—"
    assert metrics.get("warnings").format(854) == "854条" and metrics.get("arrests").format(3) == "3人"


def test_significance_and_tone():
    assert stats.poisson_z(61, 70) == pytest.approx(2 * (math.sqrt(61) - math.sqrt(70)))
    assert stats.flag(stats.poisson_z(100, 50)) == "rise"      # z = 5.86
    assert stats.level(3.2) == "alarm" and stats.level(2.1) == "warn" and stats.level(1.9) == ""
    assert stats.tone(-1, 2.5) == "bad"      # cases rose significantly: red
    assert stats.tone(+1, 2.5) == "good"     # dissuasion rose: green
    assert stats.tone(-1, 1.5) == "neutral"  # not significant: grey
    assert stats.pct_change(5, 0) is None and stats.pct_change(61, 70) == pytest.approx(-12.857, abs=1e-3)


def test_loss_significance_is_compound_poisson(kpis):
    # W47 losses 10000, 50000, 20000, 1200000, 8000; W46 30000, 6000.
    # z = (1288000 − 36000) / √(Σx²_now + Σx²_before) — the 1.2M case dominates the variance
    sq_now = 10000**2 + 50000**2 + 20000**2 + 1200000**2 + 8000**2
    sq_before = 30000**2 + 6000**2
    expected = (1288000 - 36000) / math.sqrt(sq_now + sq_before)
    assert kpis["loss"]["z"] == pytest.approx(expected, abs=0.01) and kpis["loss"]["flag"] == ""
    assert stats.compound_z(100.0, 0.0, 100.0, 0.0) == 0.0
    assert stats.flag(stats.compound_z(10 * 1e5, 10 * 1e5**2, 1e5, 1e5**2)) == "rise"   # 10 vs 1 equal cases: z = 2.71


def test_every_metric_has_its_definition_and_unit():
    for m in metrics.ALL.values():
        assert m.label and m.definition and m.unit, m.name
        assert m.variance in (None, "loss_sq") and (m.variance is None) == (m.test != "compound"), m.name
