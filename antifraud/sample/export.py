"""Turn generated columns into extract tables shaped like the centre's exports.

Headers are the first variant of each name in DATA.md. The tables also carry the
personal columns real extracts have (names, ID, phone, card numbers, a free-text
summary) — all fake, all random — so that ingest has something to drop. With
`messy=True` (the committed sample) a few rows are broken the way real ones are.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from antifraud.sample import generate as g

CASE_COLUMNS = ["案件编号", "报案时间", "发案时间", "分县局", "派出所", "乡镇街道", "经度", "纬度", "诈骗类型",
                "受害人姓名", "性别", "年龄", "身份证号", "联系电话", "涉案金额", "付款银行", "银行卡号",
                "最后转账时间", "止付时间", "止付金额", "冻结金额", "返还金额", "案件状态", "简要案情"]
WARNING_COLUMNS = ["预警编号", "下发时间", "签收时间", "反馈时间", "指令来源", "预警级别", "预警类型",
                   "分县局", "派出所", "劝阻方式", "劝阻结果", "劝阻后发案", "避免损失"]
STRIKE_COLUMNS = ["分县局", "日期", "抓获人数", "打掉团伙", "捣毁窝点", "冻结银行卡数"]
AMOUNT_COLUMNS = ["涉案金额", "止付金额", "冻结金额", "返还金额", "避免损失"]

# Spellings nobody has put in units.csv yet: the rows carrying them get rejected.
UNKNOWN_ALIASES = ["平原新区分局", "红旗区公安分局"]
BAD_CASE_SHARE = 0.003
BAD_WARNING_SHARE = 0.0005
ALIAS_SHARE = 0.08

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏亮晨欣怡浩宇子涵梓轩雨桐佳琪文博思远嘉俊凯瑞海燕春梅冬雪慧颖")
PHONE_PREFIX = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
                         158, 159, 166, 173, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 199])
CARD_BIN = np.array([622202, 622848, 621661, 621700, 621799, 622262, 623059, 621958])  # by BANKS order
ZONE_REGION = {"410771": "410702", "410772": "410721", "410773": "410725"}
SUMMARY = [       # (before the amount, after it), by TYPES order
    ("网上兼职刷单，垫付后无法提现，被骗", "元。"),
    ("网贷需交保证金、解冻费，转账", "元。"),
    ("冒充快递客服称理赔，被转走", "元。"),
    ("被拉入炒股群，虚假平台充值", "元无法提现。"),
    ("冒充客服称消除不良征信，转账", "元。"),
    ("冒充公安称涉嫌洗钱，转入安全账户", "元。"),
    ("网购付款后对方失联，被骗", "元。"),
    ("冒充领导QQ要求转账", "元。"),
    ("冒充部队采购，垫付货款", "元。"),
    ("游戏账号交易被要求交解冻费", "元。"),
    ("婚恋网友以投资为由诱导转账", "元。"),
    ("加盟项目交加盟费、保证金", "元后对方失联。"),
    ("其他方式诈骗，转账", "元。"),
]


def _seconds_to_timestamps(start: dt.date, seconds: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    base = np.datetime64(start, "s").astype(np.int64)
    values = (base + seconds.astype(np.int64))
    mask = None if present is None else ~present
    return pa.array(values, type=pa.timestamp("s"), mask=mask)


def _amounts(values: np.ndarray) -> pa.Array:
    return pa.array(np.round(values, 2)).cast(pa.decimal128(18, 2))


def _ymd(start: dt.date, day: np.ndarray) -> np.ndarray:
    """yyyymmdd as an integer for day offsets from start (few distinct days: map them once)."""
    uniques, inverse = np.unique(day, return_inverse=True)
    values = [int((start + dt.timedelta(days=int(d))).strftime("%Y%m%d")) for d in uniques]
    return np.asarray(values, dtype=np.int64)[inverse] if len(day) else np.zeros(0, np.int64)


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _digits(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int64)).cast(pa.string())


def _bureau_names(world: g.World, bureau: np.ndarray, u: np.ndarray) -> pa.Array:
    """bureau_name mostly; an alias from units.csv in ALIAS_SHARE of rows."""
    names = world.units["bureau_name"].tolist()
    aliases = [[a for a in str(s).split("|") if a] or [names[i]] for i, s in enumerate(world.units["aliases"])]
    flat = names + [a for lst in aliases for a in lst]
    offset = np.cumsum([len(names)] + [len(lst) for lst in aliases])[:-1]
    counts = np.array([len(lst) for lst in aliases])
    pick = offset[bureau] + np.minimum((u * 1e6).astype(np.int64) % counts[bureau], counts[bureau] - 1)
    idx = np.where(u < ALIAS_SHARE, pick, bureau)
    return pa.array(flat).take(pa.array(idx))


def _fake_names(rng: np.random.Generator, n: int) -> pa.Array:
    s = pa.array(SURNAMES).take(pa.array(rng.integers(0, len(SURNAMES), n)))
    g1 = pa.array(GIVEN).take(pa.array(rng.integers(0, len(GIVEN), n)))
    g2 = pa.array(GIVEN + [""] * (len(GIVEN) // 2)).take(pa.array(rng.integers(0, len(GIVEN) * 3 // 2, n)))
    return _join(s, g1, g2)


def _fake_phones(rng: np.random.Generator, n: int) -> pa.Array:
    number = PHONE_PREFIX[rng.integers(0, len(PHONE_PREFIX), n)].astype(np.int64) * 100_000_000 \
        + rng.integers(0, 100_000_000, n)
    return _digits(number)


def _fake_ids(rng, world: g.World, bureau: np.ndarray, reported_day: np.ndarray, age: np.ndarray,
              male: np.ndarray) -> pa.Array:
    """18-character ID numbers (region, birth date, sequence with the gender parity, check digit)."""
    n = len(bureau)
    ids = world.units["bureau_id"].tolist()
    region = np.array([int(ZONE_REGION.get(b, b)) for b in ids], dtype=np.int64)[bureau]
    birth = (np.datetime64(world.start, "D") + reported_day.astype("timedelta64[D]")
             - (age * 365.25).astype("timedelta64[D]") - rng.integers(0, 365, n).astype("timedelta64[D]"))
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    seq = rng.integers(0, 500, n) * 2 + male.astype(np.int64)
    body = ((region * 10_000 + years) * 100 + months) * 100 + days
    body = body * 1000 + seq                                       # 17 digits
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))[None, :]) % 10
    check = (12 - (digits * weights).sum(axis=1) % 11) % 11
    check_char = pa.array(list("0123456789X")).take(pa.array(check))
    return _join(_digits(body), check_char)


def _fake_cards(rng, bank: np.ndarray) -> pa.Array:
    n = len(bank)
    long = rng.random(n) < 0.5
    tail = np.where(long, rng.integers(0, 10 ** 13, n), rng.integers(0, 10 ** 10, n))
    number = CARD_BIN[bank].astype(np.int64) * np.where(long, 10 ** 13, 10 ** 10) + tail
    return _digits(number)


def case_table(world: g.World, c: dict, rng: np.random.Generator, messy: bool) -> pa.Table:
    n = c["n"]
    stations = world.stations
    day_of_case = c["reported"] // g.DAY
    ymd = _ymd(world.start, day_of_case)
    # Sequence number within bureau and day; the generator sorted by bureau then time.
    key = c["bureau"].astype(np.int64) * 100_000 + day_of_case
    order = np.lexsort((c["reported"], key))
    ranked = np.empty(n, dtype=np.int64)
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    ranked[order] = np.arange(n) - run_start + 1
    bureau_code = world.units["bureau_id"].astype(np.int64).to_numpy()[c["bureau"]]
    case_id = _join(pa.array(["AJ"] * n) if n else pa.array([], pa.string()),
                    _digits((bureau_code * 100_000_000 + ymd) * 100_000 + ranked))

    st_lon = stations["lon"].to_numpy(float)[c["station"]]
    st_lat = stations["lat"].to_numpy(float)[c["station"]]
    radius = station_radius(world)[c["station"]] * c["radius"]
    lon = np.round(st_lon + radius * np.cos(c["angle"]), 5)
    lat = np.round(st_lat + radius * 0.8 * np.sin(c["angle"]), 5)
    coords = c["has_coords"]

    draw = c["draw"]
    bank_names = pa.array(g.BANKS).take(pa.array(c["bank"]))
    bank_names = pc.if_else(pa.array(c["bank_missing"]), pa.scalar(None, pa.string()), bank_names)
    amount_text = _digits(np.round(c["loss"]))
    summaries = _join(pa.array([s[0] for s in SUMMARY]).take(pa.array(c["type"])), amount_text,
                      pa.array([s[1] for s in SUMMARY]).take(pa.array(c["type"])))
    columns = {
        "案件编号": case_id,
        "报案时间": _seconds_to_timestamps(world.start, c["reported"]),
        "发案时间": _seconds_to_timestamps(world.start, c["occurred"]),
        "分县局": _bureau_names(world, c["bureau"], draw[:, 0]),
        "派出所": pa.array(stations["station_name"].tolist()).take(pa.array(c["station"])),
        "乡镇街道": pa.array(stations["township"].tolist()).take(pa.array(c["station"])),
        "经度": pa.array(lon, mask=~coords),
        "纬度": pa.array(lat, mask=~coords),
        "诈骗类型": pa.array(g.TYPES).take(pa.array(c["type"])),
        "受害人姓名": _fake_names(rng, n),
        "性别": pa.array(g.GENDERS).take(pa.array(np.where(c["male"], 0, 1))),
        "年龄": pa.array(g.AGE_BANDS).take(pa.array(c["age_band"])),
        "身份证号": _fake_ids(rng, world, c["bureau"], day_of_case, c["age"], c["male"]),
        "联系电话": _fake_phones(rng, n),
        "涉案金额": _amounts(c["loss"]),
        "付款银行": bank_names,
        "银行卡号": _fake_cards(rng, c["bank"]),
        "最后转账时间": _seconds_to_timestamps(world.start, c["last_transfer"], c["has_transfer_time"]),
        "止付时间": _seconds_to_timestamps(world.start, c["stop_at"], c["has_stop_time"]),
        "止付金额": _amounts(c["stopped"]),
        "冻结金额": _amounts(c["frozen"]),
        "返还金额": _amounts(c["returned"]),
        "案件状态": pa.array(g.STATUSES).take(pa.array(c["status"])),
        "简要案情": summaries,
    }
    table = pa.table(columns)
    table = table.take(pa.array(np.argsort(c["reported"], kind="stable")))
    if messy:
        table = _break_rows(table, rng, "案件编号", BAD_CASE_SHARE, protect=_recent(table, "报案时间", world))
    return table


def station_radius(world: g.World) -> np.ndarray:
    """How far a case point may scatter around its station and stay inside the county."""
    from antifraud import config
    from antifraud.sample import geo
    radius = np.full(len(world.stations), 0.012)
    try:
        polygons = geo.load_polygons(config.project_path("boundaries"))
    except FileNotFoundError:
        return radius * 0.3
    for b, rows in world.stations.groupby("bureau_id").indices.items():
        if b in polygons:
            d = geo.border_distance(polygons[b], world.stations["lon"].to_numpy(float)[rows],
                                    world.stations["lat"].to_numpy(float)[rows])
            radius[rows] = np.minimum(0.012, 0.8 * d)
    return radius


def _recent(table: pa.Table, column: str, world: g.World) -> np.ndarray:
    """Rows of the last eight weeks: the planted stories live there, keep them intact."""
    limit = np.datetime64(world.start, "s") + np.timedelta64((world.weeks - 8) * 7 * g.DAY, "s")
    return table.column(column).to_numpy() >= limit


def _break_rows(table: pa.Table, rng: np.random.Generator, id_column: str, share: float,
                protect: np.ndarray) -> pa.Table:
    """Blank the id of some rows and give others a bureau name nobody has registered."""
    n = table.num_rows
    candidates = np.flatnonzero(~protect)
    count = min(len(candidates), max(2, int(round(share * n))))
    chosen = np.sort(rng.choice(candidates, count, replace=False))
    split = min(count - 1, max(1, round(count * 0.6)))         # both kinds, ids missing more often
    no_id, unknown = chosen[:split], chosen[split:]
    ids = table.column(id_column).to_numpy(zero_copy_only=False).astype(object)
    ids[no_id] = None
    names = table.column("分县局").to_numpy(zero_copy_only=False).astype(object)
    names[unknown] = [UNKNOWN_ALIASES[i % len(UNKNOWN_ALIASES)] for i in range(len(unknown))]
    table = table.set_column(table.schema.get_field_index(id_column), id_column, pa.array(ids, pa.string()))
    return table.set_column(table.schema.get_field_index("分县局"), "分县局", pa.array(names, pa.string()))


def warning_table(world: g.World, w: dict, rng: np.random.Generator, messy: bool) -> pa.Table:
    n = w["n"]
    day = w["issued"] // g.DAY
    ymd = _ymd(world.start, day)
    starts = np.r_[0, np.flatnonzero(np.diff(day)) + 1]          # issued is sorted
    seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    warning_id = _join(pa.array(["YJ"] * n) if n else pa.array([], pa.string()),
                       _digits(ymd * 10_000_000 + seq))
    stations = world.stations
    columns = {
        "预警编号": warning_id,
        "下发时间": _seconds_to_timestamps(world.start, w["issued"]),
        "签收时间": _seconds_to_timestamps(world.start, w["signed"], w["has_signed"]),
        "反馈时间": _seconds_to_timestamps(world.start, w["feedback"], w["has_feedback"]),
        "指令来源": pa.array(g.SOURCES).take(pa.array(w["source"])),
        "预警级别": pa.array(g.LEVELS).take(pa.array(w["level"])),
        "预警类型": pa.array(g.TYPES).take(pa.array(w["type"])),
        "分县局": _bureau_names(world, w["bureau"], w["draw"][:, 0]),
        "派出所": pa.array(stations["station_name"].tolist()).take(pa.array(w["station"])),
        "劝阻方式": pa.array(g.METHODS).take(pa.array(w["method"])),
        "劝阻结果": pa.array(g.RESULTS).take(pa.array(w["result"])),
        "劝阻后发案": pa.array(["否", "是"]).take(pa.array(w["victimized"].astype(np.int64))),
        # blank where nobody estimated it, as the platform leaves it
        "避免损失": pa.array(np.round(w["avoided"], 2), mask=w["avoided"] <= 0).cast(pa.decimal128(18, 2)),
    }
    table = pa.table(columns)
    if messy:
        table = _break_rows(table, rng, "预警编号", BAD_WARNING_SHARE, protect=_recent(table, "下发时间", world))
    return table


def strike_table(world: g.World, s: dict) -> pa.Table:
    dates = np.datetime64(world.start, "D") + (s["week"] * 7).astype("timedelta64[D]")
    return pa.table({
        "分县局": pa.array(world.units["bureau_name"].tolist()).take(pa.array(s["bureau"])),
        "日期": pa.array(dates, type=pa.date32()),
        "抓获人数": pa.array(s["arrests"].astype(np.int64)),
        "打掉团伙": pa.array(s["gangs"].astype(np.int64)),
        "捣毁窝点": pa.array(s["dens"].astype(np.int64)),
        "冻结银行卡数": pa.array(s["cards_frozen"].astype(np.int64)),
    })
