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
    # exact conditional test: given 7 cases, 5 or more of them this week has (21+7+1)/128 under
    # equal rates; two-sided p = 2 × 29/128; z is the normal quantile of p
    assert c["p"] == pytest.approx(29 / 64, abs=1e-4) and c["flag"] == ""
    assert c["z"] == pytest.approx(0.75, abs=0.01)
    # 5 against 1 last year: P(X ≥ 5 | n = 6) = 7/64, p = 7/32 — no longer announced (it was, at |z| ≥ 2)
    assert c["p_yoy"] == pytest.approx(7 / 32, abs=1e-4) and c["flag_yoy"] == ""
    assert c["q"] >= c["p"] and c["q_yoy"] >= c["p_yoy"]


def test_warning_metrics(kpis):
    assert kpis["warnings"]["value"] == 6
    assert kpis["dissuaded"]["value"] == 3                          # W1, W2, W4
    assert kpis["dissuasion_rate"]["value"] == pytest.approx(0.5)
    # W2 45>30 (高), W3 180>120 (中), W5 never; W1 20, W4 660<=1440, W6 60<=120
    assert kpis["overdue_rate"]["value"] == pytest.approx(0.5)
    assert kpis["victimized_after_rate"]["value"] == pytest.approx(1 / 6, abs=1e-6)
    assert kpis["median_sign_minutes"]["value"] == pytest.approx(20.0)   # [5,10,30,60,20]
    # previous week W7, W8 both dissuaded. Expected cells below 5: Fisher's exact test on
    # [[3, 3], [2, 0]]; with 6 and 2 warnings and 5 dissuaded, P(3) = 10/28, P(4) = 15/28, P(5) = 3/28,
    # two-sided p = P(3) + P(5) = 13/28
    assert kpis["dissuasion_rate"]["prev_week"] == 1.0
    assert kpis["dissuasion_rate"]["p"] == pytest.approx(13 / 28, abs=1e-4)
    assert kpis["dissuasion_rate"]["z"] < 0 and kpis["dissuasion_rate"]["flag"] == ""


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


def test_exact_count_test_by_hand():
    # 0 → 5: P(X = 0 | n = 5) = 1/32, two-sided 1/16 — small counts are never "significant" alone
    assert stats.count_test(0, 5).p == pytest.approx(1 / 16) and stats.count_test(0, 5).z < 0
    assert stats.count_test(2, 0).p == pytest.approx(0.5)          # 0 → 2: P(X = 2 | n = 2) = 1/4
    assert stats.count_test(0, 0) == stats.Test(0.0, 1.0)
    # unequal periods: 3 of 4 cases in the one week of a 1-week vs 3-week comparison (share 1/4):
    # P(X ≥ 3) = 4·(1/4)³(3/4) + (1/4)⁴ = 13/256
    assert stats.count_test(3, 1, 1, 3).p == pytest.approx(2 * 13 / 256)
    # the dispersion divides the counts: 8 vs 2 with φ = 2 weighs like 4 vs 1 — P(X ≥ 4 | 5) = 6/32
    assert stats.count_test(8, 2, dispersion=2).p == pytest.approx(2 * 6 / 32)
    # and the signed z is the normal quantile of p
    from scipy.stats import norm
    t = stats.count_test(8, 2)
    assert t.z == pytest.approx(norm.isf(t.p / 2)) and stats.count_test(2, 8).z == pytest.approx(-t.z)


def test_proportion_and_compound_tests_by_hand():
    # 150/1000 vs 100/1000: pooled .125, var = .125 × .875 × (2/1000), z = .05/√var = 3.3806
    t = stats.proportion_test(150, 1000, 100, 1000)
    assert t.z == pytest.approx(3.3806, abs=1e-3) and t.p == pytest.approx(2 * 0.000362, abs=2e-5)
    assert stats.proportion_test(150, 1000, 100, 1000, dispersion=4).z == pytest.approx(3.3806 / 2, abs=1e-3)
    assert stats.proportion_test(1, 0, 1, 2) == stats.NONE
    # 10 equal cases of 1e5 against 1: (1e6 − 1e5)/√(1e11 + 1e10) = 2.714
    assert stats.compound_test(1e6, 10 * 1e10, 1e5, 1e10).z == pytest.approx(2.7136, abs=1e-3)
    # against 8 earlier weeks with the same 1e5 each week, r = 1/8: (1e5 − 8e5/8)/… = 0
    assert stats.compound_test(1e5, 1e10, 8e5, 8e10, 1, 8).z == 0
    # with the case counts the mean square per case is pooled: three cases of 1e5 in one week against
    # four in four weeks, r = 1/4: Var = (3 + 4/16)·(7e10/7) = 3.25e10, z = (3e5 − 1e5)/√3.25e10 = 1.1094
    assert stats.compound_test(3e5, 3e10, 4e5, 4e10, 1, 4, n_now=3, n_before=4).z == pytest.approx(1.1094, abs=1e-4)


def test_benjamini_hochberg_and_flags_by_hand():
    # sorted .01, .03, .04, .5 → .01×4/1, .03×4/2, .04×4/3, .5 → running minimum from the top
    assert stats.bh([0.01, 0.04, 0.03, None, 0.5]) == [pytest.approx(0.04), pytest.approx(0.16 / 3),
                                                      pytest.approx(0.16 / 3), None, pytest.approx(0.5)]
    assert stats.flag(0.04, 2.5) == "rise" and stats.flag(0.04, -2.5) == "fall" and stats.flag(0.06, 9) == ""
    assert stats.level(0.0005) == "alarm" and stats.level(0.01) == "warn" and stats.level(0.2) == ""
    assert stats.tone(-1, "rise") == "bad"        # cases rose: red
    assert stats.tone(+1, "rise") == "good"       # dissuasion rose: green
    assert stats.tone(-1, "") == "neutral"        # not announced: grey
    assert stats.pct_change(5, 0) is None and stats.pct_change(61, 70) == pytest.approx(-12.857, abs=1e-3)


def test_dispersion_from_consecutive_weeks():
    norm = stats._huber_norm()                                    # E[min(Z², 9)] = 0.9950
    assert norm == pytest.approx(0.99501, abs=1e-4)
    assert stats.dispersion([2, -2] * 10) == pytest.approx(4.0 / norm, rel=1e-6)
    assert stats.dispersion([0.1] * 20) == 1.0                   # never below Poisson
    assert stats.dispersion([5.0] * 5) == 1.0                     # too few weeks: no evidence
    # within two standard errors of 1 (1 + 2√(2/50) = 1.40 for 50 pairs): no evidence, the plain test
    assert stats.dispersion([1.3 ** 0.5, -(1.3 ** 0.5)] * 25) == 1.0
    assert stats.dispersion([2 ** 0.5, -(2 ** 0.5)] * 25) == pytest.approx(2 / norm, rel=1e-6)
    # one wild week in a year moves it by a fifth, not thirtyfold: its square is clipped at (3σ)²,
    # φ = (51·4 + 9φ)/(52·0.995) → φ = 4.77
    assert stats.dispersion([2, -2] * 25 + [2, 30]) == pytest.approx(204 / (52 * norm - 9), rel=1e-3)
    # weekly counts 10, 30, 10, 30, …: each step is 20/√40 = 3.16 → φ = 10 / 0.995
    assert stats.metric_dispersion("cases", [{"cases": 10 + 20 * (i % 2)} for i in range(30)]) == \
        pytest.approx(10 / norm, rel=1e-3)
    # a week the data does not cover breaks the chain: no pair across it
    weeks = [{"cases": 10 + 20 * (i % 2)} for i in range(30)]
    weeks[15] = None
    assert stats.metric_dispersion("cases", weeks) == pytest.approx(10 / norm, rel=1e-3)


def test_loss_significance_is_compound_poisson(kpis):
    # W47 losses 10000, 50000, 20000, 1200000, 8000; W46 30000, 6000.
    # z = (1288000 − 36000) / √(Σx²_now + Σx²_before) — the 1.2M case dominates the variance
    sq_now = 10000**2 + 50000**2 + 20000**2 + 1200000**2 + 8000**2
    sq_before = 30000**2 + 6000**2
    expected = (1288000 - 36000) / math.sqrt(sq_now + sq_before)
    assert kpis["loss"]["z"] == pytest.approx(expected, abs=0.01) and kpis["loss"]["flag"] == ""
    assert stats.compound_test(100.0, 0.0, 100.0, 0.0) == stats.Test(0.0, 1.0)


def test_every_metric_has_its_definition_and_unit():
    for m in metrics.ALL.values():
        assert m.label and m.definition and m.unit, m.name
        assert m.variance in (None, "loss_sq") and (m.variance is None) == (m.test != "compound"), m.name


def test_an_estimated_dispersion_refers_the_test_to_students_t():
    from scipy.stats import norm, t
    plain = stats.count_test(80, 20, dispersion=4)                     # φ given: the normal reference
    estimated = stats.count_test(80, 20, dispersion=stats.Dispersion(4, df=20))
    z = norm.isf(plain.p / 2)                                          # the same statistic ...
    assert estimated.p == pytest.approx(2 * t.sf(z, 20), rel=1e-6)     # ... against t with 20 df
    assert estimated.p > plain.p and estimated.z == pytest.approx(norm.isf(estimated.p / 2))
    # φ estimated at 1 (no extra variation found): the exact test as it is
    assert stats.count_test(80, 20, dispersion=stats.Dispersion(1.0, df=50)) == stats.count_test(80, 20)
    assert stats.dispersion([2, -2] * 10).df == 20


def test_recent_weeks_scan_is_corrected_for_the_windows_it_tries():
    import numpy as np
    from antifraud import significance
    # windows of 1, 2 and 3 weeks, baseline 12 weeks, 2 apart: the 1-week and 2-week statistics share
    # the latest week (weights 1 and 1/2) and 11 of 12 baseline weeks; by hand the correlation is
    # (1/2 + 11/144)/√((1 + 1/12)(1/2 + 1/12)) = 0.725
    corr = significance.window_correlation((1, 2, 3), 12, 2)
    assert corr[0, 1] == pytest.approx((0.5 + 11 / 144) / ((1 + 1 / 12) * (0.5 + 1 / 12)) ** 0.5, rel=1e-9)
    assert significance.scan_p(0.01, (3,)) == 0.01                    # one window: nothing to correct
    for p in (0.05, 0.01, 0.001):                                      # between the best window and Bonferroni
        assert p < significance.scan_p(p, (1, 2, 3)) < 3 * p
    # the same data give the same p in every process (the rectangle integral is seeded), far tail included
    first = [significance.scan_p(p, (1, 2, 3)) for p in (0.01, 1e-4, 1e-7)]
    significance._scan_table.cache_clear()
    assert [significance.scan_p(p, (1, 2, 3)) for p in (0.01, 1e-4, 1e-7)] == first
    # against simulated Poisson weeks (95 a week): the share of null series whose best window reaches
    # p ≤ 0.01, over 0.01, is what scan_p says within sampling error
    rng = np.random.default_rng(7)
    hits, n = 0, 4000
    for _ in range(n):
        x = rng.poisson(95, 17)
        best = min(stats.count_test(x[-k:].sum(), x[-k - 14:-k - 2].sum(), k, 12).p for k in (1, 2, 3))
        hits += best <= 0.01
    assert hits / n == pytest.approx(significance.scan_p(0.01, (1, 2, 3)), abs=0.006)
