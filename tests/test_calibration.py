"""Calibration (issue 14): the generator's stationary worlds, and what the dashboard announces
on them — the harness at CI size against the targets of DATA.md's Significance section.

The harness tests fail until the statistics announce changes at a controlled rate; their
messages print the harness's table, the figures to compare with docs/significance.md.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from antifraud import cli
from antifraud.config import UsageError
from antifraud.calibrate import figures, worlds
from antifraud.sample import build_world, end_week, generate as g, stationary as st

END = "2026-W47"
WEEKS = 156                     # three years of weeks: enough for tight checks, < 2 s to draw


def _world(years: float = WEEKS / 52, scale: float = 1.0):
    return build_world(end_week(END), years, scale)


def _weekly(world, c) -> np.ndarray:
    counts = np.zeros((world.weeks, len(world.units)))
    np.add.at(counts, (c["week"], c["bureau"]), 1)
    return counts


def _warning_weekly(world, w) -> np.ndarray:
    counts = np.zeros((world.weeks, len(world.units)))
    np.add.at(counts, (w["day"] // 7, w["bureau"]), 1)
    return counts


def _nb_excess_kurtosis(mu: np.ndarray, sd: float) -> np.ndarray:
    """Excess kurtosis of a Poisson count whose mean is mu × Gamma(mean 1, sd): the negative
    binomial with size r = 1/sd² (Poisson as r → ∞: 1/mu)."""
    if sd == 0:
        return 1.0 / mu
    r = 1.0 / sd ** 2
    return 6.0 / r + r / (mu * (r + mu))


def _check_standardised(x: np.ndarray, mu: np.ndarray, sd: float):
    """Counts x with means mu: their standardised squares average 1 within 3 standard errors
    (Var(z²) = 2 + excess kurtosis), and their standardised values average 0."""
    var = mu + sd ** 2 * mu ** 2
    z = (x - mu) / np.sqrt(var)
    n = z.size
    se_mean = 1.0 / math.sqrt(n)
    se_sq = math.sqrt(np.sum(2.0 + np.broadcast_to(_nb_excess_kurtosis(mu, sd), x.shape)) / n ** 2)
    assert abs(z.mean()) < 3 * se_mean, (z.mean(), se_mean)
    assert abs((z ** 2).mean() - 1.0) < 3 * se_sq, ((z ** 2).mean(), se_sq)
    return (z ** 2).mean(), se_sq


# --- the generator's stationary worlds ------------------------------------------------------

def test_null_world_counts_are_poisson_at_the_stated_rates():
    world = _world()
    s, c, w, k, _ = st.draw(world, st.Spec(), seed=101)
    mu = st.expected_weekly(world, s)
    cases, warnings = _weekly(world, c), _warning_weekly(world, w)
    # city-wide: ≈95 cases and ≈850 warnings a week, within 3 standard errors of a Poisson mean
    assert mu["cases"].sum() == pytest.approx(st.CASES_PER_WEEK)
    assert abs(cases.sum(axis=1).mean() - 95) < 3 * math.sqrt(95 / world.weeks)
    assert abs(warnings.sum(axis=1).mean() - 850) < 3 * math.sqrt(850 / world.weeks)
    # every bureau-week: mean and variance of a Poisson (the index of dispersion is 1)
    _check_standardised(cases, np.broadcast_to(mu["cases"], cases.shape), 0.0)
    _check_standardised(warnings, np.broadcast_to(mu["warnings"], warnings.shape), 0.0)
    # strike results weekly for every bureau, Poisson at constant rates
    arrests = k["arrests"].reshape(world.weeks, -1)
    expected = st.ARRESTS_PER_CASE * mu["cases"] * s.effort
    _check_standardised(arrests, np.broadcast_to(expected, arrests.shape), 0.0)
    assert len(k["week"]) == world.weeks * len(world.units)


@pytest.mark.parametrize("scope", ["bureau", "city"])
def test_variation_world_counts_are_a_gamma_mixture(scope):
    sd = 0.15
    world = _world()
    s, c, w, _, _ = st.draw(world, st.Spec(variation=sd, scope=scope), seed=202)
    mu = st.expected_weekly(world, s)
    cases, warnings = _weekly(world, c), _warning_weekly(world, w)
    assert abs(s.factor.mean() - 1) < 3 * sd / math.sqrt(s.factor.size if scope == "bureau" else world.weeks)
    if scope == "bureau":
        for counts, m in ((cases, mu["cases"]), (warnings, mu["warnings"])):
            _check_standardised(counts, np.broadcast_to(m, counts.shape), sd)
            # and not a Poisson: scaled by √μ alone they are too spread for a Poisson's sampling error
            z = (counts - m) / np.sqrt(m)
            assert (z ** 2).mean() > 1 + 3 * math.sqrt(np.mean(2 + 1 / m) / counts.size)
    else:
        # one factor a week for the whole city: the city's weekly total is the mixture
        for counts, m in ((cases, mu["cases"].sum()), (warnings, mu["warnings"].sum())):
            total = counts.sum(axis=1)
            _check_standardised(total, np.full(total.shape, m), sd)
        assert np.allclose(s.factor, s.factor[:, :1])


def _overdue(world, w) -> np.ndarray:
    limit = g.LIMIT_MINUTES[w["level"]] * g.MINUTE
    return np.where(w["has_feedback"], w["feedback"] - w["issued"] > limit, w["issued"] + limit <= world.end_moment)


def test_null_world_outcomes_are_constant_probabilities():
    world = _world()
    _, c, w, _, _ = st.draw(world, st.Spec(), seed=303)
    week = w["day"] // 7
    n = np.bincount(week, minlength=world.weeks)
    for hits, p in ((_overdue(world, w), st.OVERDUE_RATE), (w["result"] == 0, st.RESULT_SHARE[0])):
        x = np.bincount(week, weights=hits, minlength=world.weeks)
        assert abs(hits.mean() - p) < 3 * math.sqrt(p * (1 - p) / len(hits))
        # week by week no more spread than a binomial: Σ (x − np)² / np(1−p) ≈ weeks (chi-square)
        chi = np.sum((x - n * p) ** 2 / (n * p * (1 - p)))
        assert abs(chi - world.weeks) < 3 * math.sqrt(2 * world.weeks), chi
    both = c["has_stop_time"] & c["has_transfer_time"]
    fast = (c["stop_at"] - c["last_transfer"] <= 30 * g.MINUTE)[both]
    assert abs(fast.mean() - st.P_FAST) < 3 * math.sqrt(st.P_FAST * (1 - st.P_FAST) / both.sum())
    # none of the meeting's stories: 虚假投资理财 keeps its share in the last eight weeks (no ramp)
    last = c["week"] >= world.weeks - 8
    share = g.TYPE_SHARE[g.INVEST] / g.TYPE_SHARE.sum()
    assert abs((c["type"][last] == g.INVEST).mean() - share) < 3 * math.sqrt(share * (1 - share) / last.sum())


def test_planted_changes_have_their_size():
    world = _world()
    plants = (st.CaseRise("2025-W20", 1.3, 30), st.OverdueRise("2025-W20", "410702", 0.15, 30),
              st.TownshipRise("2026-W10", "410725", "城关镇", 6.0, 30))
    s, c, w, _, _ = st.draw(world, st.Spec(plants=plants), seed=404)
    mu = st.expected_weekly(world, s)
    rise = st.plant_weeks(world, plants[0])
    city = np.bincount(c["week"], minlength=world.weeks)
    assert abs(city[rise].mean() - 1.3 * 95) < 3 * math.sqrt(1.3 * 95 / len(rise))
    quiet = np.setdiff1d(np.arange(world.weeks), rise)
    assert abs(city[quiet].mean() - 95) < 3 * math.sqrt(95 / len(quiet))

    b = world.units["bureau_id"].tolist().index("410702")
    weeks = st.plant_weeks(world, plants[1])
    mine = (w["bureau"] == b) & np.isin(w["day"] // 7, weeks)
    late = _overdue(world, w)[mine]
    assert abs(late.mean() - 0.15) < 3 * math.sqrt(0.15 * 0.85 / len(late))
    others = (w["bureau"] != b) & np.isin(w["day"] // 7, weeks)
    assert abs(_overdue(world, w)[others].mean() - 0.05) < 3 * math.sqrt(0.05 * 0.95 / others.sum())
    # the plant moves lateness only: dissuasion stays where it was
    assert abs((w["result"][mine] == 0).mean() - 0.95) < 3 * math.sqrt(0.95 * 0.05 / mine.sum())

    weeks = st.plant_weeks(world, plants[2])
    station = st._township_station(world, "410725", "城关镇")
    spot = np.bincount(c["week"][c["station"] == station], minlength=world.weeks)
    assert abs(spot[weeks].mean() - 6) < 3 * math.sqrt(6 / len(weeks))
    base = mu["station_cases"][station]
    before = spot[: weeks[0]]
    assert abs(before.mean() - base) < 3 * math.sqrt(base / len(before))


def test_plants_are_checked_and_parsed():
    assert st.parse_plant("cases:2026-W30") == st.CaseRise("2026-W30")
    assert st.parse_plant("overdue:2026-W33:410702:0.2") == st.OverdueRise("2026-W33", "410702", 0.2)
    assert st.parse_plant("township:2026-W36:410725:城关镇:6:4") == st.TownshipRise("2026-W36", "410725", "城关镇", 6.0, 4)
    for bad in ("cases", "storm:2026-W30", "overdue:2026-W33", "cases:2026-W30:many"):
        with pytest.raises(UsageError):
            st.parse_plant(bad)
    world = _world(1)
    for plant in (st.CaseRise("2024-W30"), st.CaseRise("2026-W46", weeks=3), st.CaseRise("2026-11"),
                  st.OverdueRise("2026-W30", "999999"), st.TownshipRise("2026-W30", "410725", "无此镇")):
        with pytest.raises(UsageError):
            st.draw(world, st.Spec(plants=(plant,)), seed=1)


def test_sample_command_writes_reproducible_null_worlds(tmp_path):
    argv = ["sample", "--null", "--variation", "0.15", "--plant", "cases:2026-W45", "--plant",
            "township:2026-W44:410725:城关镇", "--years", "0.2", "--end", END, "--format", "csv", "--seed", "9"]
    assert cli.main(argv + ["--out", str(tmp_path / "a")]) == 0
    assert cli.main(argv + ["--out", str(tmp_path / "b")]) == 0
    a, b = sorted((tmp_path / "a").iterdir()), sorted((tmp_path / "b").iterdir())
    assert [p.name for p in a] == ["打击战果_2026W38-2026W47.csv", "案件_2026W38-2026W47.csv", "预警_2026W38-2026W47.csv"]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    assert cli.main(["sample", "--null", "--plant", "cases:2020-W01", "--years", "0.2", "--end", END,
                     "--out", str(tmp_path / "c")]) == 2


def test_plant_layouts_vary_by_seed_and_keep_a_year_of_history():
    seen = set()
    from antifraud.calibrate import PLANT_SEED
    for seed in range(PLANT_SEED, PLANT_SEED + 10):          # the CI run's seeds
        world, layout = worlds.plant_layout(seed)
        starts = sorted(layout.starts.values())
        assert starts[0] >= worlds.PLANT_FIRST >= 60
        assert all(b - a >= worlds.PLANT_SLOT for a, b in zip(starts, starts[1:]))
        assert starts[-1] + worlds.PLANT_WEEKS < world.weeks          # the week after is inside
        assert layout.base["overdue_bureau_warnings"] >= worlds.MIN_OVERDUE_WARNINGS
        assert 0.5 <= layout.base["township_cases"] <= 1.5
        seen.add((tuple(starts), layout.bureau_id, layout.township))
    assert len(seen) >= 8


def test_figures_summaries():
    weeks = [{"changes": [["cases", "flag", "rise"], ["cases", "flag_yoy", "rise"], ["dens", "flag", "fall"]],
              "hotspots": [{"bureau_id": "1"}], "rank_notable": [], "type_flags": [["其他", "fall"]]},
             {"changes": [], "hotspots": [], "rank_notable": [["1", 3]], "type_flags": []}]
    s = figures.null_summary(weeks)
    assert s["changes_per_week"] == 1.0 and s["flags_per_week"] == 1.5 and s["changes_max"] == 2
    assert s["weeks_with_any"] == 1 and s["share_with_any"] == 0.5
    assert s["top_metrics"][0][:2] == ["cases", "发案数"] and s["top_metrics"][0][2] == 1
    assert s["hotspots_per_week"] == 0.5 and s["rank_notable_per_week"] == 0.5 and s["type_flags_per_week"] == 0.5
    p = figures.plant_summary([{"found": {"cases": True, "overdue": False, "township": True}},
                               {"found": {"cases": True, "overdue": True, "township": False}}])
    assert p["cases"] == {"found": 2, "of": 2, "share": 1.0} and p["overdue"]["share"] == 0.5


def test_docs_block_is_replaced_in_place(tmp_path):
    page = tmp_path / "significance.md"
    page.write_text("# title\n\nmethod text\n", encoding="utf-8")
    begin, end = figures.markers("ci")
    figures.write_docs(page, f"{begin}\none\n{end}")
    figures.write_docs(page, f"{begin}\ntwo\n{end}")
    figures.write_docs(page, "{}\nfull\n{}".format(*figures.markers("full")), "full")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# title\n\nmethod text\n") and "two" in text and "one" not in text
    assert text.index("two") < text.index("full")


# --- the harness at CI size: what the dashboard announces ------------------------------------

@pytest.fixture(scope="module")
def calibration():
    from antifraud import calibrate
    return calibrate.run(size="ci", log=lambda message: None)


def _why(result) -> str:
    return "\n" + figures.table(result["summary"]) + f"\n({result['seconds']:.0f} s)"


def test_harness_reads_what_the_briefing_announces(calibration):
    consistency = calibration["summary"]["consistency"]
    assert consistency["agree"], consistency["differences"]
    assert calibration["config"]["weeks"] >= 50 and calibration["config"]["plant_seeds"] >= 10


@pytest.mark.parametrize("world", ["pure", "variation"])
def test_null_world_announces_almost_nothing(calibration, world):
    s = calibration["summary"]["null"][world]
    assert s["weeks"] >= 50
    assert s["changes_per_week"] <= figures.TARGETS["changes_per_week"], _why(calibration)
    assert s["share_with_any"] <= figures.TARGETS["share_with_any"], _why(calibration)


@pytest.mark.parametrize("world", ["pure", "variation"])
def test_null_world_has_few_emerging_hot_spots(calibration, world):
    s = calibration["summary"]["null"][world]
    assert s["hotspots_per_week"] <= figures.TARGETS["hotspots_per_week"], _why(calibration)


@pytest.mark.parametrize("kind", list(figures.PLANT_LABELS))
def test_planted_changes_are_announced(calibration, kind):
    p = calibration["summary"]["planted"][kind]
    assert p["of"] >= 10
    assert p["share"] >= figures.TARGETS["found_share"], _why(calibration)


def test_sample_stories_still_found(calibration):
    stories = calibration["summary"]["stories"]
    assert [s["story"] for s in stories] == ["a", "c", "e"]
    assert all(s["found"] for s in stories), _why(calibration)
