"""The sample city's police stations (派出所) and the township (乡镇街道) each one covers.

`python -m antifraud.sample.places` rewrites sample_data/stations.csv: the first station
of a county sits at the county seat (the bureau's point in units.csv), the others at
deterministic random spots well inside the county polygon, functional zones around
their point. The generator reads the csv back, so a centre can edit it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from antifraud import config, units
from antifraud.sample import geo

# bureau_id -> [(station, township), ...]; the first is the seat. Names follow the
# real townships of each county; which station covers which township is illustrative.
STATIONS: dict[str, list[tuple[str, str]]] = {
    "410702": [("西街派出所", "西街街道"), ("东街派出所", "东街街道"), ("渠东派出所", "渠东街道"),
               ("文化街派出所", "文化街街道"), ("向阳派出所", "向阳小区街道"), ("洪门派出所", "洪门镇"),
               ("小店派出所", "小店镇")],
    "410703": [("中同派出所", "中同街街道"), ("健康路派出所", "健康路街道"), ("胜利路派出所", "胜利路街道"),
               ("自由路派出所", "自由路街道"), ("南桥派出所", "南桥街道"), ("铁西派出所", "铁西街道"),
               ("平原派出所", "平原镇")],
    "410704": [("宝东派出所", "宝东街道"), ("凤泉派出所", "凤泉街道"), ("耿黄派出所", "耿黄镇"),
               ("潞王坟派出所", "潞王坟乡"), ("大块派出所", "大块镇")],
    "410711": [("东干道派出所", "东干道街道"), ("花园派出所", "花园街道"), ("卫北派出所", "卫北街道"),
               ("荣校路派出所", "荣校路街道"), ("北干道派出所", "北干道街道"), ("新辉路派出所", "新辉路街道"),
               ("王村派出所", "王村镇"), ("牧野派出所", "牧野镇")],
    "410721": [("城关派出所", "小冀镇"), ("七里营派出所", "七里营镇"), ("朗公庙派出所", "朗公庙镇"),
               ("古固寨派出所", "古固寨镇"), ("翟坡派出所", "翟坡镇"), ("大召营派出所", "大召营镇"),
               ("合河派出所", "合河乡")],
    "410724": [("城关派出所", "城关镇"), ("亢村派出所", "亢村镇"), ("照镜派出所", "照镜镇"),
               ("黄堤派出所", "黄堤镇"), ("中和派出所", "中和镇"), ("徐营派出所", "徐营镇"),
               ("史庄派出所", "史庄镇"), ("太山派出所", "太山乡")],
    "410725": [("城关派出所", "城关镇"), ("师寨派出所", "师寨镇"), ("太平镇派出所", "太平镇"),
               ("齐街派出所", "齐街镇"), ("福宁集派出所", "福宁集镇"), ("原武派出所", "原武镇"),
               ("大宾派出所", "大宾镇"), ("阳阿派出所", "阳阿乡"), ("蒋庄派出所", "蒋庄乡"),
               ("葛埠口派出所", "葛埠口乡")],
    "410726": [("城关派出所", "城关镇"), ("东屯派出所", "东屯镇"), ("丰庄派出所", "丰庄镇"),
               ("石婆固派出所", "石婆固镇"), ("王楼派出所", "王楼镇"), ("僧固派出所", "僧固乡"),
               ("胙城派出所", "胙城乡"), ("榆林派出所", "榆林乡")],
    "410727": [("城关派出所", "城关镇"), ("黄陵派出所", "黄陵镇"), ("应举派出所", "应举镇"),
               ("陈桥派出所", "陈桥镇"), ("赵岗派出所", "赵岗镇"), ("留光派出所", "留光镇"),
               ("潘店派出所", "潘店镇"), ("鲁岗派出所", "鲁岗镇"), ("李庄派出所", "李庄镇")],
    "410781": [("汲水派出所", "汲水镇"), ("唐庄派出所", "唐庄镇"), ("太公派出所", "太公镇"),
               ("孙杏村派出所", "孙杏村镇"), ("后河派出所", "后河镇"), ("李源屯派出所", "李源屯镇"),
               ("上乐村派出所", "上乐村镇"), ("狮豹头派出所", "狮豹头乡")],
    "410782": [("城关派出所", "城关街道"), ("胡桥派出所", "胡桥街道"), ("百泉派出所", "百泉镇"),
               ("孟庄派出所", "孟庄镇"), ("常村派出所", "常村镇"), ("吴村派出所", "吴村镇"),
               ("南村派出所", "南村镇"), ("上八里派出所", "上八里镇"), ("峪河派出所", "峪河镇"),
               ("冀屯派出所", "冀屯镇"), ("薄壁派出所", "薄壁镇")],
    "410783": [("蒲东派出所", "蒲东街道"), ("蒲西派出所", "蒲西街道"), ("蒲北派出所", "蒲北街道"),
               ("南蒲派出所", "南蒲街道"), ("魏庄派出所", "魏庄街道"), ("恼里派出所", "恼里镇"),
               ("樊相派出所", "樊相镇"), ("赵堤派出所", "赵堤镇"), ("丁栾派出所", "丁栾镇"),
               ("孟岗派出所", "孟岗镇"), ("满村派出所", "满村镇")],
    "410771": [("高新派出所", "骆驼湾街道"), ("关堤派出所", "关堤乡"), ("新七街派出所", "新七街街道"),
               ("科隆派出所", "科隆大道街道"), ("东区派出所", "东区街道")],
    "410772": [("经开派出所", "经开街道"), ("纬七路派出所", "纬七路街道"), ("化工园派出所", "化工园区"),
               ("新东派出所", "新东街道"), ("站前派出所", "站前街道")],
    "410773": [("桥北派出所", "桥北乡"), ("韩董庄派出所", "韩董庄镇"), ("祝楼派出所", "祝楼乡"),
               ("龙源派出所", "龙源街道"), ("黄河派出所", "黄河街道")],
}

COLUMNS = ["station_id", "station_name", "bureau_id", "township", "lon", "lat"]
URBAN = {"410702", "410703", "410704", "410711"}


def place(boundaries: Path, unit_frame: pd.DataFrame, seed: int = 410700) -> pd.DataFrame:
    polygons = geo.load_polygons(boundaries)
    rng = np.random.default_rng(seed)
    rows = []
    for unit in unit_frame.itertuples(index=False):
        names = STATIONS.get(unit.bureau_id, [])
        shape = polygons.get(unit.bureau_id)
        points: list[tuple[float, float]] = []
        if shape is None:                       # a zone: no polygon, stations around its point
            for _ in names:
                points.append((unit.lon + rng.uniform(-0.02, 0.02), unit.lat + rng.uniform(-0.015, 0.015)))
        else:
            margin, spacing = (0.003, 0.008) if unit.bureau_id in URBAN else (0.012, 0.045)
            seat_ok = geo.border_distance(shape, unit.lon, unit.lat)[0] >= margin
            if seat_ok:
                points.append((unit.lon, unit.lat))
            xs = np.concatenate([r[:, 0] for poly in shape for r in poly[:1]])
            ys = np.concatenate([r[:, 1] for poly in shape for r in poly[:1]])
            tries = 0
            while len(points) < len(names):
                tries += 1
                if tries > 20000:
                    spacing *= 0.8
                    tries = 0
                x, y = rng.uniform(xs.min(), xs.max()), rng.uniform(ys.min(), ys.max())
                if not geo.contains(shape, x, y)[0] or geo.border_distance(shape, x, y)[0] < margin:
                    continue
                if any((x - px) ** 2 + (y - py) ** 2 < spacing ** 2 for px, py in points):
                    continue
                points.append((x, y))
        for i, ((station, township), (x, y)) in enumerate(zip(names, points), start=1):
            rows.append({"station_id": f"{unit.bureau_id}{i:02d}", "station_name": station,
                         "bureau_id": unit.bureau_id, "township": township,
                         "lon": round(float(x), 5), "lat": round(float(y), 5)})
    return pd.DataFrame(rows, columns=COLUMNS)


def load(path: Path | None = None) -> pd.DataFrame:
    """stations.csv with its township column (the generator needs station -> township)."""
    path = path or config.project_path("stations")
    frame = pd.read_csv(path, dtype={"station_id": str, "bureau_id": str}, encoding="utf-8-sig")
    if "township" not in frame:
        frame["township"] = frame["station_name"].str.replace("派出所", "", regex=False)
    return frame


def main() -> int:
    frame = place(config.project_path("boundaries"), units.load_units())
    out = config.project_path("stations")
    frame.to_csv(out, index=False, encoding="utf-8")
    print(f"{out}: {len(frame)} stations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
