"""分县局排名: hand-computed scores, fairness properties, settings, the fixture DB and the page."""
import datetime as dt
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from antifraud import funnel, measures, metrics, periods, ranking

ROOT = Path(__file__).resolve().parent.parent


def phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def one_metric(metric="dissuasion_rate", k=10.0, **extra):
    """A config with one metric and the shrinkage strength pinned to k."""
    return ranking.load_config({"dimensions": {"prevention": {"label": "防范", "weight": 1}},
                                "metrics": [{"dimension": "prevention", "metric": metric, "weight": 1}],
                                "min_prior": k, "max_prior": k, "min_cases": 5, **extra})


def tiny():
    # A: 9 of 10 warnings dissuaded; B: 1 of 1 (lucky); C: 5 of 10
    return pd.DataFrame({"bureau_name": ["A局", "B局", "C局"], "population": [1e5, 1e5, 1e5],
                         "cases": [10, 1, 10], "warnings": [10, 1, 10], "dissuaded": [9, 1, 5]},
                        index=pd.Index(["A", "B", "C"], name="bureau_id"))


def test_hand_computed_ranking():
    out = ranking.rank(tiny(), cfg=one_metric()).set_index("bureau_id")
    # city rate p = 15/21; k = 10 pseudo-warnings; weight n/(n+k); true spread
    # tau^2 = p(1-p)/(k+1); a typical bureau (21/3 = 7 warnings) is observed with
    # spread^2 = tau^2 + p(1-p)/7; score = 100 * Phi((shrunk - p) / spread)
    p = 15 / 21
    spread = math.sqrt(p * (1 - p) / 11 + p * (1 - p) / 7)
    shrunk = {"A": 0.5 * 0.9 + 0.5 * p, "B": 1 / 11 * 1.0 + 10 / 11 * p, "C": 0.5 * 0.5 + 0.5 * p}
    for b, v in shrunk.items():
        assert out.loc[b, "dissuasion_rate_shrunk"] == pytest.approx(v)
        assert out.loc[b, "score"] == pytest.approx(round(100 * phi((v - p) / spread), 1), abs=0.05)
    assert out.loc["A", "score"] == pytest.approx(66.5, abs=0.05)   # Φ(0.425)
    assert out.loc["B", "score"] == pytest.approx(54.7, abs=0.05)   # Φ(0.119): 100% on one warning
    assert out.loc["C", "score"] == pytest.approx(31.2, abs=0.05)   # Φ(-0.491)
    assert list(out["rank"]) == [1, 2, 3]
    assert out.loc["B", "dissuasion_rate"] == 1.0                    # shown as observed
    assert bool(out.loc["B", "small_sample"]) and not bool(out.loc["A", "small_sample"])


def test_equal_scores_share_the_better_rank():
    frame = tiny()
    frame.loc["C", ["warnings", "dissuaded"]] = [10, 9]              # C now equals A
    frame.loc["B", "dissuaded"] = 0
    out = ranking.rank(frame, cfg=one_metric()).set_index("bureau_id")
    assert out.loc["A", "rank"] == 1 and out.loc["C", "rank"] == 1 and out.loc["B", "rank"] == 3


def synthetic(seed=7, n=12):
    rng = np.random.default_rng(seed)
    pop = rng.integers(150_000, 900_000, n).astype(float)
    cases = rng.poisson(pop / 1e4 * 0.6).astype(float)
    loss = cases * 70_000.0
    warnings = rng.poisson(pop / 1e4 * 3).astype(float) + 5
    frame = pd.DataFrame({
        "bureau_name": [f"局{i:02d}" for i in range(n)], "population": pop, "cases": cases,
        "loss": loss, "intercepted": np.round(loss * rng.uniform(0.05, 0.4, n)),
        "returned": np.round(loss * rng.uniform(0.0, 0.1, n)),
        "solved": np.floor(cases * rng.uniform(0.1, 0.6, n)),
        "stop_cases": np.floor(cases * 0.6), "warnings": warnings,
        "dissuaded": np.floor(warnings * rng.uniform(0.85, 0.99, n)),
        "overdue": np.floor(warnings * rng.uniform(0.0, 0.2, n)),
        "victimized_after": np.floor(warnings * rng.uniform(0.0, 0.03, n)),
        "feedback_missing": np.zeros(n), "signed_missing": np.zeros(n),
        "arrests": rng.poisson(pop / 1e4 * 0.3).astype(float),
        "gangs": rng.poisson(pop / 1e4 * 0.02).astype(float),
        "dens": rng.poisson(pop / 1e4 * 0.02).astype(float)},
        index=pd.Index([f"41{i:04d}" for i in range(n)], name="bureau_id"))
    frame["fast_stop_den"] = frame["stop_cases"]
    frame["fast_stop_n"] = np.floor(frame["stop_cases"] * rng.uniform(0.3, 0.8, n))
    last = frame.copy()
    last["cases"] = rng.poisson(pop / 1e4 * 0.6).astype(float)
    return frame, last


def with_lucky(frame, last):
    """Add a bureau with one case that went perfectly (solved, all money stopped, fast)."""
    row = {c: 0.0 for c in frame.columns if c != "bureau_name"}
    row.update(bureau_name="幸运局", population=300_000.0, cases=1.0, loss=10_000.0, intercepted=10_000.0,
               returned=10_000.0, solved=1.0, stop_cases=1.0, fast_stop_den=1.0, fast_stop_n=1.0,
               warnings=1.0, dissuaded=1.0, arrests=3.0, gangs=1.0, dens=1.0)
    frame = pd.concat([frame, pd.DataFrame([row], index=pd.Index(["419999"], name="bureau_id"))])
    last = pd.concat([last, pd.DataFrame([{**row, "cases": 5.0}], index=pd.Index(["419999"], name="bureau_id"))])
    return frame, last


def test_one_lucky_case_is_not_ranked_first():
    frame, last = with_lucky(*synthetic())
    out = ranking.rank(frame, last, cfg=ranking.load_config()).set_index("bureau_id")
    # every raw rate of 幸运局 is the best in the city, yet shrinkage keeps it off the top
    assert out.loc["419999", "solved_rate"] == 1.0 and out.loc["419999", "fast_stop_rate"] == 1.0
    assert out.loc["419999", "rank"] > 1
    assert bool(out.loc["419999", "small_sample"])
    assert out.loc["419999", "rank_high"] - out.loc["419999", "rank_low"] >= 3


# (metric, measure moved, step in the good direction)
BUMPS = [("arrests_per_10k", "arrests", 1), ("gangs_per_10k", "gangs", 1), ("dens_per_10k", "dens", 1),
         ("solved_rate", "solved", 1), ("cases_per_10k", "cases", -1), ("dissuasion_rate", "dissuaded", 1),
         ("overdue_rate", "overdue", -1), ("victimized_after_rate", "victimized_after", -1),
         ("interception_rate", "intercepted", 5000), ("recovery_rate", "returned", 2000),
         ("fast_stop_rate", "fast_stop_n", 1)]


def _valid(frame):
    return ((frame["solved"] <= frame["cases"]).all() and (frame["fast_stop_n"] <= frame["fast_stop_den"]).all()
            and (frame["fast_stop_den"] <= frame["cases"]).all() and (frame["dissuaded"] <= frame["warnings"]).all()
            and (frame["intercepted"] <= frame["loss"]).all() and (frame["returned"] <= frame["loss"]).all()
            and (frame.drop(columns="bureau_name") >= 0).all().all())


@pytest.mark.parametrize("seed,fixed_prior", [(7, False), (11, False), (13, True)])
def test_improving_a_metric_never_lowers_the_score(seed, fixed_prior):
    frame, last = with_lucky(*synthetic(seed))
    # prior from the window itself (re-estimated after the change), or from a fixed
    # 4-times-longer reference as rank_window passes it
    ref = None
    if fixed_prior:
        ref, ref_last = with_lucky(*synthetic(seed + 1))
        ref = ref.assign(**{c: ref[c] * 4 for c in ref.columns if c not in ("bureau_name", "population")})
    extra = dict(reference=ref, reference_last_year=ref_last, scale=0.25) if fixed_prior else {}
    cfg = ranking.load_config()
    base = ranking.score_table(frame, last, cfg=cfg, **extra)[0]
    for bureau in frame.index:
        for metric, measure, step in BUMPS:
            better = frame.copy()
            better.loc[bureau, measure] += step
            if not _valid(better):
                continue
            after = ranking.score_table(better, last, cfg=cfg, **extra)[0]
            assert after.loc[bureau, "score"] >= base.loc[bureau, "score"], (bureau, metric)


def test_a_missing_field_never_improves_a_score():
    frame, last = synthetic(3)
    cfg = ranking.load_config()
    base = ranking.score_table(frame, last, cfg=cfg)[0]
    for bureau in frame.index:
        # a stop time not recorded: the case leaves the fast-stop count and the both-times count
        no_time = frame.copy()
        if no_time.loc[bureau, "fast_stop_n"] > 0:
            no_time.loc[bureau, ["fast_stop_n", "fast_stop_den"]] -= 1
            assert ranking.score_table(no_time, last, cfg=cfg)[0].loc[bureau, "score"] <= base.loc[bureau, "score"]
        # feedback not recorded for a dissuaded warning: it counts as overdue (rollup) and missing
        no_fb = frame.copy()
        no_fb.loc[bureau, ["feedback_missing", "overdue"]] += 1
        assert ranking.score_table(no_fb, last, cfg=cfg)[0].loc[bureau, "score"] <= base.loc[bureau, "score"]


SETTINGS_TAIL = """
[ranking]
min_cases = 5
resamples = 50
seed = 1
[ranking.dimensions]
strike = {{ label = "打击", weight = {strike} }}
prevention = {{ label = "防范", weight = {prevention} }}
[[ranking.metrics]]
dimension = "strike"
metric = "arrests_per_10k"
weight = 1.0
[[ranking.metrics]]
dimension = "prevention"
metric = "dissuasion_rate"
weight = 1.0
"""


def test_weights_from_the_settings_file_change_the_order(tmp_path, monkeypatch):
    # X: many arrests, poor dissuasion; Y: the reverse; Z: average on both
    frame = pd.DataFrame({"bureau_name": ["X局", "Y局", "Z局"], "population": [5e5] * 3,
                          "cases": [20.0] * 3, "arrests": [60.0, 10.0, 30.0],
                          "warnings": [400.0] * 3, "dissuaded": [320.0, 396.0, 360.0]},
                         index=pd.Index(["X", "Y", "Z"], name="bureau_id"))
    base = (ROOT / "settings.toml").read_text(encoding="utf-8")
    head = base[:base.index("[ranking]")] + base[base.index("[auth]"):]
    orders = {}
    for name, weights in {"strike": (1, 0), "prevention": (0, 1)}.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(head + SETTINGS_TAIL.format(strike=weights[0], prevention=weights[1]), encoding="utf-8")
        monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(path))
        out = ranking.rank(frame)
        orders[name] = list(out["bureau_id"])
    assert orders["strike"] == ["X", "Z", "Y"]
    assert orders["prevention"] == ["Y", "Z", "X"]


def test_interval_holds_the_rank_and_output_is_reproducible():
    frame, last = with_lucky(*synthetic(5))
    cfg = ranking.load_config()
    one = ranking.rank(frame, last, prev=last, cfg=cfg)
    two = ranking.rank(frame, last, prev=last, cfg=cfg)
    pd.testing.assert_frame_equal(one, two)
    assert (one["rank_low"] <= one["rank"]).all() and (one["rank"] <= one["rank_high"]).all()
    assert one["rank"].is_monotonic_increasing and one["score"].is_monotonic_decreasing


# ------------------------------------------------------------------ the fixture database

W47 = periods.parse("2026-W47")


def test_rank_period_on_fixture(use_fixture_db):
    out = ranking.rank_period(W47).set_index("bureau_id")
    assert len(out) == 15 and not out["provisional"].any() and not out.attrs["provisional"]
    for field in ranking.JSON_FIELDS + ("score_strike", "score_prevention", "score_stop", "gap",
                                        "small_sample", "cases_per_10k", "completeness"):
        assert field in out.reset_index().columns
    # C1,C2 in 红旗; C3,C5 in 牧野 (C5 lacks both stop times); C4 in 原阳 (no times; W5 unsigned, no feedback)
    assert out.loc["410702", "cases"] == 2 and out.loc["410702", "cases_per_10k"] == pytest.approx(2 / 52)
    assert out.loc["410711", "cases_without_stop_times"] == 1 and out.loc["410711", "stop_time_missing"] == 0
    assert out.loc["410725", "feedback_missing"] == 1 and out.loc["410725", "sign_missing"] == 1
    assert out.loc["410725", "completeness"] == pytest.approx(1 - 1 / 2)     # 0 stop cases + 2 warnings
    # 原阳: W5 no feedback + W6 victimised -> 2/2 counted against it; C4 had nothing stopped,
    # so it says nothing about stop speed (fast stop counts over cases with money stopped/frozen)
    assert out.loc["410725", "victimized_after_rate"] == 1.0 and pd.isna(out.loc["410725", "fast_stop_rate"])
    assert out.loc["410702", "fast_stop_rate"] == pytest.approx(1 / 2)      # C1 fast, C2 60 min
    assert out["small_sample"].all()                                        # no bureau has 5 cases
    assert (out["rank_low"] <= out["rank"]).all() and (out["rank"] <= out["rank_high"]).all()
    assert "劝阻成功率 0.00%，全市中位 50.00%" in out.loc["410725", "gap"]
    assert out.loc["410725", "rank"] == 15
    json.dumps(ranking.to_records(out.reset_index()), ensure_ascii=False)


def test_rank_lists_every_bureau_under_a_district_filter(use_fixture_db):
    f = measures.Filters(bureaus=("410711",), types=("刷单返利",))
    out = ranking.rank_period(W47, f).set_index("bureau_id")
    assert len(out) == 15
    assert out.loc["410711", "cases"] == 1 and out.loc["410702", "cases"] == 1   # C3; C1 (刷单返利 only)


def test_provisional_week_is_marked(use_fixture_db):
    out = ranking.rank_period(periods.parse("2099-W01"))
    assert out["provisional"].all() and out.attrs["provisional"]


def test_28d_and_ytd(use_fixture_db):
    d28 = ranking.rank_28d(W47).set_index("bureau_id")          # 10-26..11-22: C1..C7
    assert d28["cases"].sum() == 7 and d28.attrs["start"] == "2026-10-26"
    ytd = ranking.rank_ytd(W47).set_index("bureau_id")          # + C9
    assert ytd["cases"].sum() == 8 and ytd.loc["410711", "cases"] == 3
    assert ytd["rank_change"].notna().all()                     # against YTD to the end of W46


def test_funnel_limits_and_outliers():
    # city rate 0.5, 2 trials: P(X<=1) = .75, P(X<=2) = 1; the drawn 97.5% line interpolates
    # (2 - (1 - .975) / (1 - .75)) / 2 = 0.95; the lower one is floored at 0
    lim = funnel.limits(0.5, "binomial", 100)
    row = lim[lim["n"] == 2].iloc[0]
    assert row["lo_95%"] == 0 and row["hi_95%"] == pytest.approx(0.95)
    frame = pd.DataFrame({"bureau_name": ["甲", "乙", "丙"], "warnings": [100.0, 100.0, 2.0],
                          "dissuaded": [0.0, 98.0, 2.0], "population": [1e5] * 3},
                         index=pd.Index(["1", "2", "3"], name="bureau_id"))
    pts, city, model = funnel.points(frame, "dissuasion_rate")
    assert city == pytest.approx(100 / 202) and model == "binomial"
    assert list(pts["outside"]) == ["99.8%", "99.8%", ""]
    fig = funnel.figure_of(funnel.spec(frame, "dissuasion_rate"))
    assert len(fig.data) == 5
    # a kept spec draws the same figure again and again (drawing does not change it)
    import copy
    spec = funnel.spec(frame, "dissuasion_rate")
    before = copy.deepcopy(spec)
    assert funnel.figure_of(spec).to_plotly_json() == fig.to_plotly_json()
    from antifraud import charts
    charts.apply_theme(funnel.figure_of(spec), dark=True)
    assert spec == before and funnel.figure_of(spec).to_plotly_json() == fig.to_plotly_json()


def test_page_renders_on_fixture(fixture_db, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("ANTIFRAUD_DB", str(fixture_db))
    at = AppTest.from_file(str(ROOT / "pages" / "bureaus.py"), default_timeout=60)
    at.query_params["week"] = "2026-W47"
    at.query_params["district"] = "牧野区"
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 15 and "排名区间" in table.columns and "差距（与全市中位比）" in table.columns
    assert table.loc[table["分县局"] == "牧野分局", "本辖区"].iloc[0] == "★"
    at.radio(key="rank_window").set_value("年初以来").run()
    assert not at.exception
    at.selectbox(key="funnel_metric").set_value("cases_per_10k").run()
    assert not at.exception and len(at.dataframe) >= 2


def test_month_ranking_and_report_sections(use_fixture_db):
    out = ranking.rank_period("2026-11").set_index("bureau_id")
    assert out.attrs["start"] == "2026-11-01" and out.attrs["end"] == "2026-11-30"
    assert out["cases"].sum() == 7                               # C1..C7
    sections = ranking.report_sections(W47)
    assert set(sections) == {"ranking", "ranking_28d", "ranking_ytd"}
    row = sections["ranking"][0]
    assert isinstance(row["rank"], int) and isinstance(row["small_sample"], bool)
    assert all(not k.endswith("_shrunk") for k in row)


def test_rank_range_figure():
    frame, last = with_lucky(*synthetic(5))
    out = ranking.rank(frame, last, cfg=ranking.load_config())
    fig = funnel.rank_ranges(out)
    assert list(fig.data[1].x) == list(out["rank"])


def test_rank_change_is_called_notable_only_outside_the_range():
    frame, last = with_lucky(*synthetic(5))
    prev = frame.copy()
    prev["dissuaded"] = np.floor(prev["warnings"] * 0.5)          # a very different previous period
    out = ranking.rank(frame, last, prev=prev, cfg=ranking.load_config())
    before = out["rank"] + out["rank_change"].astype(int)
    expected = (before < out["rank_low"]) | (before > out["rank_high"])
    assert list(out["rank_change_notable"]) == list(expected)
    assert ranking.change_text(3, True) == "↑3" and ranking.change_text(-2, False) == "↓2（不显著）"
    assert ranking.change_text(0) == "持平" and ranking.change_text(pd.NA) == "—"


def test_screen_table_gives_small_samples_a_range_only():
    out = ranking.rank(tiny(), cfg=one_metric())
    screen = ranking.screen_table(out, one_metric(), mine=("B",)).set_index("分县局")
    assert screen.loc["A局", "排名"] == "1" and screen.loc["B局", "排名"] == "—"   # B has 1 case
    assert screen.loc["B局", "样本"] == "样本不足" and screen.loc["B局", "本辖区"] == "★"
    assert screen.loc["B局", "排名区间"] == ranking.rank_range(out.set_index("bureau_id").loc["B", "rank_low"],
                                                           out.set_index("bureau_id").loc["B", "rank_high"])


def test_reference_window_starts_at_the_first_data(use_fixture_db, monkeypatch):
    # the fixture's first case is C10 on 2025-01-01; 52 weeks before W47 would reach 2025-11-24
    # (inside the data) while 104 weeks would reach back to 2024-11 (before it)
    seen = []
    real = measures.by_bureau_windows
    monkeypatch.setattr(measures, "by_bureau_windows", lambda spans, f=measures.Filters(): seen.extend(spans) or real(spans, f))
    cfg = ranking.load_config({**ranking.config.setting("ranking"), "prior_weeks": 104})
    ranking.rank_window(W47.start, W47.end, cfg=cfg)
    assert (dt.date(2025, 1, 1), W47.end) in seen


def test_page_month_type_filter_and_wall(fixture_db, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("ANTIFRAUD_DB", str(fixture_db))
    at = AppTest.from_file(str(ROOT / "pages" / "bureaus.py"), default_timeout=60)
    at.query_params["month"] = "2026-11"
    at.query_params["type"] = "刷单返利"
    at.query_params["wall"] = "1"
    at.run()
    assert not at.exception
    # the wall draws the ranking as a room-readable table (wall.table_html), not a dataframe canvas
    assert len(at.dataframe) == 0
    body = next(h.proto.body for h in at.get("html") if 'data-testid="wallRanking"' in h.proto.body)
    head = re.findall(r"<th[^>]*>(.*?)</th>", body)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)[1:]]
    assert len(rows) == 15 and sum(int(r[head.index("发案数")]) for r in rows) == 3   # C1, C3, C6 in November
    assert "差距（与全市中位比）" in head                              # the gap column is on the wall, whole
