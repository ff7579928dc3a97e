"""The synthetic extracts: shape of the files, plausible figures, the planted stories, the map files."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from antifraud import cli, config, units
from antifraud.sample import export, generate, geo, places
from antifraud.sample import generate_files, build_world, end_week

END = "2026-W47"
XINXIANG = {"410702", "410703", "410704", "410711", "410721", "410724", "410725", "410726",
            "410727", "410781", "410782", "410783"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed")
    paths = generate_files(out, scale=0.3, years=0.5, seed=7, end=END, fmt="mixed")
    return {p.name.split("_")[0]: p for p in paths}


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """UTF-8 csv at scale 1 over 13 weeks: enough for the stories, quick to read."""
    out = tmp_path_factory.mktemp("plain")
    paths = generate_files(out, scale=1, years=0.25, seed=11, end=END, fmt="csv")
    read = {p.name.split("_")[0]: pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths}
    for kind, cols in (("案件", ["报案时间", "最后转账时间", "止付时间"]), ("预警", ["下发时间", "反馈时间"])):
        for c in cols:
            read[kind][c] = pd.to_datetime(read[kind][c].replace("", None))
    return read


@pytest.fixture(scope="module")
def big_draw():
    """Generated columns (no files) for share checks: two years at scale 3."""
    world = build_world(end_week(END), 2, 3)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(3).spawn(2)]
    return world, generate.cases(world, streams[0]), generate.warnings(world, streams[1])


def _week_index(times: pd.Series) -> pd.Series:
    last_monday = pd.Timestamp(dt.date.fromisocalendar(2026, 47, 1))
    return ((times - last_monday).dt.days // 7).astype(int)       # 0 = last week, -1 the one before


# --- files ---------------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(mixed, tmp_path):
    again = generate_files(tmp_path, scale=0.3, years=0.5, seed=7, end=END, fmt="mixed")
    for path in again:
        assert path.read_bytes() == mixed[path.name.split("_")[0]].read_bytes(), path.name


def test_default_run_reproduces_the_committed_sample_byte_for_byte(tmp_path):
    """The stationary worlds (calibration) live beside the default generator: the committed
    sample must still come out of `sample --end 2026-W47` with the default seed (≈20 s)."""
    committed = config.project_path("sample_dir")
    for path in generate_files(tmp_path, end=END):
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name


def test_other_seed_differs(mixed, tmp_path):
    other = generate_files(tmp_path, scale=0.3, years=0.5, seed=8, end=END, fmt="mixed")
    assert other[0].read_bytes() != mixed["案件"].read_bytes()


def test_file_names_and_cli(tmp_path):
    assert cli.main(["sample", "--scale", "0.05", "--years", "0.1", "--end", END,
                     "--out", str(tmp_path), "--format", "csv"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["打击战果_2026W43-2026W47.csv", "案件_2026W43-2026W47.csv", "预警_2026W43-2026W47.csv"]
    # a rerun with another end replaces the earlier extracts instead of piling them up
    assert cli.main(["sample", "--scale", "0.05", "--years", "0.1", "--end", "2026-W46",
                     "--out", str(tmp_path), "--format", "csv"]) == 0
    assert len(list(tmp_path.iterdir())) == 3


def test_bad_end_week_is_a_usage_error(tmp_path):
    assert cli.main(["sample", "--end", "2026-13", "--out", str(tmp_path)]) == 2
    assert cli.main(["sample", "--end", "W47", "--out", str(tmp_path)]) == 2


def test_default_end_is_a_past_complete_week():
    week = end_week(None)
    assert week.end < dt.date.today() and week.kind == "week"


def test_case_csv_is_gbk_with_title_and_total_rows(mixed):
    raw = mixed["案件"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gb18030"))))
    assert rows[0][0] == "新乡市电信网络诈骗案件明细表（2026-05-25至2026-11-22）"
    assert rows[1] == export.CASE_COLUMNS
    assert rows[-1][0] == "合计"
    body = rows[2:-1]
    loss = [float(r[rows[1].index("涉案金额")].replace(",", "")) for r in body]
    assert float(rows[-1][rows[1].index("涉案金额")]) == pytest.approx(sum(loss), abs=0.05)
    assert any("," in r[rows[1].index("涉案金额")] for r in body)      # some "15,000.00"
    assert all(r[rows[1].index("年龄")] in generate.AGE_BANDS for r in body)


def test_case_extract_carries_fake_personal_columns_ingest_must_drop(mixed):
    frame = pd.read_csv(mixed["案件"], encoding="gb18030", skiprows=1, dtype=str, keep_default_na=False)[:-1]
    assert frame["身份证号"].str.fullmatch(r"\d{17}[\dX]").all()
    assert frame["联系电话"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert frame["银行卡号"].str.fullmatch(r"\d{16}|\d{19}").all()
    assert frame["受害人姓名"].str.len().between(2, 3).all()
    assert frame["简要案情"].str.len().gt(5).all()
    # the ID's 17th digit carries the gender, as real ones do
    odd = frame["身份证号"].str[16].astype(int) % 2 == 1
    assert (odd == (frame["性别"] == "男")).all()


def test_planted_bad_rows(mixed):
    frame = pd.read_csv(mixed["案件"], encoding="gb18030", skiprows=1, dtype=str, keep_default_na=False)[:-1]
    aliases = units.alias_map(units.load_units())
    unknown = ~frame["分县局"].map(units.clean_name).isin(aliases.keys())
    missing = frame["案件编号"] == ""
    bad = unknown | missing
    assert missing.sum() >= 1 and unknown.sum() >= 1
    assert bad.sum() == max(2, round(export.BAD_CASE_SHARE * len(frame)))
    assert set(frame.loc[unknown, "分县局"]) <= set(export.UNKNOWN_ALIASES)
    # none inside the last eight weeks, where the stories are
    recent = pd.to_datetime(frame["报案时间"]) >= pd.Timestamp("2026-09-28")
    assert not (bad & recent).any()
    ok = frame[~missing]
    assert ok["案件编号"].is_unique
    # bureau names: mostly the official name, some aliases
    official = frame["分县局"].isin(units.load_units()["bureau_name"])
    assert 0.85 < official.mean() < 0.97


def test_warning_xlsx_has_title_and_real_datetimes(mixed):
    import openpyxl

    wb = openpyxl.load_workbook(mixed["预警"], read_only=True)
    ws = wb.active
    rows = ws.iter_rows(min_row=1, max_row=3, values_only=True)
    title, header, first = next(rows), next(rows), next(rows)
    assert title[0].startswith("新乡市预警劝阻情况明细表")
    assert list(header) == export.WARNING_COLUMNS
    assert isinstance(first[header.index("下发时间")], dt.datetime)
    wb.close()
    strikes = pd.read_excel(mixed["打击战果"], header=1, engine="calamine")
    assert list(strikes.columns) == export.STRIKE_COLUMNS
    assert len(strikes) == 26 * 15


def test_csv_format_has_the_same_headers(plain):
    assert list(plain["案件"].columns) == export.CASE_COLUMNS
    assert list(plain["预警"].columns) == export.WARNING_COLUMNS
    assert list(plain["打击战果"].columns) == export.STRIKE_COLUMNS
    assert plain["案件"]["案件编号"].is_unique and plain["预警"]["预警编号"].is_unique


def test_last_week_is_complete_to_sunday_night(plain):
    assert plain["预警"]["下发时间"].max() == pd.Timestamp("2026-11-22 23:41:00")
    assert plain["案件"]["报案时间"].max() <= pd.Timestamp("2026-11-22 23:41:00")
    assert plain["案件"]["报案时间"].min() >= pd.Timestamp("2026-08-24")
    assert plain["预警"]["反馈时间"].max() <= pd.Timestamp("2026-11-22 23:41:00")


# --- plausible figures ----------------------------------------------------------------------

def test_type_mix_and_levels(big_draw):
    world, c, w = big_draw
    share = np.bincount(c["type"], minlength=len(generate.TYPES)) / c["n"]
    expected = generate.TYPE_SHARE / generate.TYPE_SHARE.sum()
    assert np.abs(share - expected).max() < 0.015
    assert 0.004 < share[generate.TYPES.index("加盟代理")] < 0.02
    levels = np.bincount(w["level"], minlength=3) / w["n"]
    assert np.allclose(levels, [0.10, 0.30, 0.60], atol=0.01)
    assert 8 < w["n"] / c["n"] < 12
    results = np.bincount(w["result"], minlength=5) / w["n"]
    assert 0.92 < results[0] < 0.97


def test_volumes_losses_and_rates(big_draw):
    world, c, w = big_draw
    per_year = c["n"] / 2 / world.scale
    assert 4000 < per_year < 5200
    loss = c["loss"]
    assert 24_000 < np.median(loss) < 36_000
    assert 60_000 < loss.mean() < 90_000
    assert 140_000 < np.percentile(loss, 90) < 230_000
    assert 70_000 < np.median(loss[c["type"] == generate.INVEST]) < 120_000
    assert 0 < (loss >= 1_000_000).mean() < 0.01
    intercepted = (c["stopped"].sum() + c["frozen"].sum()) / loss.sum()
    assert 0.08 < intercepted < 0.35
    assert (c["stopped"] + c["frozen"] <= loss + 0.01).all()
    assert (c["returned"] <= c["stopped"] + c["frozen"] + 0.01).all()
    solved = (c["status"] == 1).mean()
    assert 0.12 < solved < 0.25
    hours = np.bincount(c["reported"] % generate.DAY // 3600, minlength=24)
    assert hours[12:18].sum() / hours.sum() > 0.35


def test_urban_rate_two_to_three_times_rural(big_draw):
    world, c, _ = big_draw
    per_bureau = np.bincount(c["bureau"], minlength=len(world.units))
    pop = world.units["population"].to_numpy(float)
    urban = world.units["bureau_id"].isin(generate.URBAN).to_numpy()
    ratio = (per_bureau[urban].sum() / pop[urban].sum()) / (per_bureau[~urban].sum() / pop[~urban].sum())
    assert 2.0 < ratio < 3.2


def test_stop_times_follow_transfers_and_reports(big_draw):
    _, c, _ = big_draw
    both = c["has_stop_time"] & c["has_transfer_time"]
    assert (c["stop_at"][both] > c["last_transfer"][both]).all()
    assert (c["stop_at"][both] >= c["reported"][both]).all()
    assert (c["occurred"] <= c["reported"]).all()
    minutes = (c["stop_at"] - c["last_transfer"])[both] / 60
    assert 0.6 < (minutes <= 30).mean() < 0.8


# --- the meeting's stories --------------------------------------------------------------------

def test_story_hotspot_township_rises(plain):
    cases = plain["案件"]
    week = _week_index(cases["报案时间"])
    spot = (cases["分县局"].map(units.clean_name).map(units.alias_map(units.load_units())) == "410725") \
        & (cases["乡镇街道"] == "城关镇")
    counts = [int((spot & (week == k)).sum()) for k in range(-5, 1)]
    assert counts == generate.HOTSPOT_COUNTS


def _fast_rates(cases, bureau_id, weeks):
    resolved = cases["分县局"].map(units.clean_name).map(units.alias_map(units.load_units()))
    both = cases["止付时间"].notna() & cases["最后转账时间"].notna()
    fast = (cases["止付时间"] - cases["最后转账时间"]) <= pd.Timedelta(minutes=30)
    week = _week_index(cases["报案时间"])
    mine = resolved == bureau_id
    return [(int((mine & both & fast & (week == k)).sum()), int((mine & both & (week == k)).sum()))
            for k in weeks], (fast & both).sum() / both.sum()


def test_story_changyuan_improves_every_week(plain):
    rates, _ = _fast_rates(plain["案件"], "410783", range(-6, 1))
    shares = [f / n for f, n in rates]
    assert all(b > a for a, b in zip(shares, shares[1:])), rates


def test_story_fengqiu_slow_stop_payment(plain):
    rates, city = _fast_rates(plain["案件"], "410727", range(-3, 1))
    pooled = sum(f for f, _ in rates) / sum(n for _, n in rates)
    assert abs(pooled - generate.POOR_RATE) < 0.04
    assert city > 0.62


def test_story_slow_bank(big_draw):
    _, c, _ = big_draw
    both = c["has_stop_time"] & c["has_transfer_time"] & ~c["bank_missing"]
    minutes = (c["stop_at"] - c["last_transfer"]) / 60
    slow = both & (c["bank"] == generate.SLOW_BANK)
    others = both & (c["bank"] != generate.SLOW_BANK)
    assert np.median(minutes[slow]) > 60 and (minutes[slow] > 60).mean() > 0.6
    assert np.median(minutes[others]) < 30


def test_story_investment_rises_with_30_44_victims(big_draw):
    world, c, _ = big_draw
    invest = c["type"] == generate.INVEST
    last4 = (invest & (c["week"] >= world.weeks - 4)).sum()
    before = (invest & (c["week"] >= world.weeks - 12) & (c["week"] < world.weeks - 8)).sum()
    assert last4 > 1.6 * before
    assert (c["age_band"][invest] == generate.AGE_BANDS.index("30-44")).mean() > 0.5


def test_story_overdue_high_warnings_in_one_bureau(plain):
    w = plain["预警"]
    week = _week_index(w["下发时间"])
    resolved = w["分县局"].map(units.clean_name).map(units.alias_map(units.load_units()))
    late = w["反馈时间"].isna() | ((w["反馈时间"] - w["下发时间"]) > pd.Timedelta(minutes=30))
    overdue = (week == 0) & (w["预警级别"] == "高") & late
    per_bureau = resolved[overdue].value_counts()
    assert per_bureau.index[0] == generate.OVERDUE_BUREAU
    assert per_bureau.iloc[0] == generate.OVERDUE_HIGH
    assert per_bureau.iloc[0] > per_bureau.iloc[1:].sum()


# --- map files ----------------------------------------------------------------------------------

def test_boundaries_file_is_valid_and_small():
    path = config.project_path("boundaries")
    assert path.stat().st_size < 300_000
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    ids = {f["properties"]["bureau_id"] for f in collection["features"]}
    assert ids == XINXIANG
    names = dict(zip(units.load_units()["bureau_id"], units.load_units()["district_name"]))
    for feature in collection["features"]:
        assert feature["properties"]["district_name"] == names[feature["properties"]["bureau_id"]]
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                assert all(113.0 < x < 115.5 and 34.5 < y < 36.0 for x, y in ring)
    polygons = geo.load_polygons(path)
    for row in units.load_units().itertuples():
        if row.bureau_id in polygons:
            assert geo.contains(polygons[row.bureau_id], row.lon, row.lat)[0], row.bureau_id


def test_stations_inside_their_counties():
    stations = places.load()
    assert set(units.STATION_COLUMNS + ["township"]) <= set(stations.columns)
    assert stations["station_id"].is_unique
    all_units = units.load_units()
    per_bureau = stations.groupby("bureau_id").size()
    assert set(per_bureau.index) == set(all_units["bureau_id"])
    assert per_bureau.between(5, 12).all()
    assert stations["station_name"].str.endswith("派出所").all()
    assert stations["township"].str.contains(r"(?:镇|乡|街道|园区)$").all()
    polygons = geo.load_polygons(config.project_path("boundaries"))
    for bureau, group in stations.groupby("bureau_id"):
        if bureau in polygons:
            assert geo.contains(polygons[bureau], group["lon"], group["lat"]).all(), bureau
        else:       # zones: near their point in units.csv
            point = all_units.set_index("bureau_id").loc[bureau]
            assert (np.hypot(group["lon"] - point["lon"], group["lat"] - point["lat"]) < 0.05).all()


def test_case_points_stay_inside_their_county(plain):
    cases = plain["案件"]
    resolved = cases["分县局"].map(units.clean_name).map(units.alias_map(units.load_units()))
    polygons = geo.load_polygons(config.project_path("boundaries"))
    has = cases["经度"] != ""
    for bureau, group in cases[has].groupby(resolved[has]):
        if bureau in polygons:
            assert geo.contains(polygons[bureau], group["经度"].astype(float), group["纬度"].astype(float)).all()


def test_committed_sample_is_small_and_named_for_bootstrap():
    folder = config.project_path("sample_dir")
    extracts = [p for p in folder.iterdir() if re.match(r"^(案件|预警|打击)", p.name)]
    assert sorted(p.name.split("_")[0] for p in extracts) == ["打击战果", "案件", "预警"]
    assert sum(p.stat().st_size for p in extracts) < 10_000_000


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("scale", [1, 4])
def test_stories_hold_for_any_seed(seed, scale):
    """At scale 1 and above; below it 长垣 has too few stop cases a week for 7 rising rates."""
    world = build_world(end_week(END), 0.25, scale)
    c = generate.cases(world, np.random.default_rng(seed))
    ids = world.units["bureau_id"].tolist()
    township = world.stations["township"].to_numpy()[c["station"]]
    spot = (c["bureau"] == ids.index(generate.HOTSPOT_BUREAU)) & (township == generate.HOTSPOT_TOWNSHIP)
    counts = [int((spot & (c["week"] == world.weeks - 6 + k)).sum()) for k in range(6)]
    assert counts == [max(1, round(x * scale)) for x in generate.HOTSPOT_COUNTS]
    both = c["has_stop_time"] & c["has_transfer_time"]
    fast = both & (c["stop_at"] - c["last_transfer"] <= 30 * 60)

    def share(bureau, weeks):
        mine = (c["bureau"] == ids.index(bureau)) & np.isin(c["week"], weeks)
        return fast[mine].sum() / max(1, both[mine].sum()), both[mine].sum()

    rates = [share(generate.IMPROVING_BUREAU, [world.weeks - 7 + k])[0] for k in range(7)]
    assert all(b > a for a, b in zip(rates, rates[1:])), rates
    poor, n = share(generate.POOR_BUREAU, list(range(world.weeks - 4, world.weeks)))
    assert abs(poor - generate.POOR_RATE) <= 0.5 / n + 1e-9
