"""What the extracts call things: header and value variants (antifraud/vocab.toml) and the
street-name → canonical fraud-type table (sample_data/fraud_type_map.csv). Data, not code."""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from antifraud import config
from antifraud.config import UsageError

VOCAB_FILE = Path(__file__).resolve().parent.parent / "vocab.toml"

FRAUD_TYPES = ["刷单返利", "虚假贷款", "冒充电商物流客服", "虚假投资理财", "虚假征信", "冒充公检法",
               "虚假购物服务", "冒充领导熟人", "冒充军警购物", "网络游戏交易", "网络婚恋交友", "加盟代理",
               "其他"]
OTHER_TYPE = "其他"

# How each canonical column is parsed. `!` marks a column a row cannot do without.
FIELD_KIND = {
    "cases": {
        "case_id": "id!", "reported_at": "time!", "occurred_at": "time", "bureau_id": "bureau!",
        "station": "text", "township": "text", "lon": "lon", "lat": "lat", "fraud_type": "fraud_type",
        "loss_amount": "amount", "stopped_amount": "amount", "frozen_amount": "amount",
        "returned_amount": "amount", "last_transfer_at": "time", "stop_payment_at": "time",
        "status": "enum:status", "victim_gender": "enum:gender", "victim_age_band": "age",
        "payer_bank": "text"},
    "warnings": {
        "warning_id": "id!", "issued_at": "time!", "signed_at": "time", "feedback_at": "time",
        "source": "text", "level": "enum:level", "fraud_type": "fraud_type", "bureau_id": "bureau!",
        "station": "text", "method": "enum:method", "result": "enum:result",
        "victimized_after": "bool", "avoided_loss": "amount"},
    "strikes": {
        "bureau_id": "bureau!", "date": "date!", "arrests": "count", "gangs": "count",
        "dens": "count", "cards_frozen": "count"},
}
ID_FIELD = {"cases": "case_id", "warnings": "warning_id", "strikes": None}
KIND_LABEL = {"cases": "案件", "warnings": "预警", "strikes": "打击战果"}

# A unit at the end of a header: 涉案金额(元), 损失金额（万元）, 金额/万元, 损失金额万元.
_UNIT = re.compile(r"(?:[(\[【〔]((?:人民币)?(?:万元|元|人|个|张|起|次|户|分钟))[)\]】〕]|/(万元|元)|(?<=.)(万元))$")


def fold(text) -> str:
    """Full-width → half-width, no spaces, lower case: how headers and labels are compared."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return re.sub(r"\s+", "", text).lower()


def header_key(text) -> tuple[str, int]:
    """(folded header without its unit, multiplier the unit implies)."""
    key = fold(text).strip("*:：#")
    match = _UNIT.search(key)
    if match is None or match.start() == 0:
        return key, 1
    unit = next(g for g in match.groups() if g)
    return key[:match.start()], (10000 if "万元" in unit else 1)


@dataclass(frozen=True)
class Vocab:
    headers: dict[str, dict[str, str]]          # kind -> folded header -> field
    labels: dict[str, dict[str, str]]           # kind -> field -> Chinese label
    values: dict[str, dict[str, str]]           # value group -> folded spelling -> canonical
    fraud_types: dict[str, str]                 # folded label -> canonical type

    def value_table(self) -> pd.DataFrame:
        rows = [(group, key, value) for group, spellings in self.values.items()
                for key, value in spellings.items()]
        return pd.DataFrame(rows, columns=["grp", "key", "value"])

    def fraud_type_table(self) -> pd.DataFrame:
        return pd.DataFrame(sorted(self.fraud_types.items()), columns=["key", "value"])


def load(vocab_file: Path | None = None, type_map: Path | None = None) -> Vocab:
    with open(vocab_file or VOCAB_FILE, "rb") as fh:
        raw = tomllib.load(fh)
    headers, labels = {}, {}
    for kind, fields in raw["headers"].items():
        headers[kind], labels[kind] = {}, {}
        for field, spellings in fields.items():
            labels[kind][field] = spellings[0]
            for spelling in spellings:
                headers[kind].setdefault(header_key(spelling)[0], field)
    values = {group: {fold(s): canonical for canonical, spellings in mapping.items() for s in spellings}
              for group, mapping in raw.get("values", {}).items()}
    types = {fold(t): t for t in FRAUD_TYPES}
    path = type_map or _type_map_path()
    if path and Path(path).exists():
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        for label, canonical in zip(frame.iloc[:, 0], frame.iloc[:, 1]):
            canonical = canonical.strip()
            if fold(label) and canonical in FRAUD_TYPES:
                types.setdefault(fold(label), canonical)
    return Vocab(headers, labels, values, types)


def _type_map_path() -> Path | None:
    try:
        return config.project_path("fraud_type_map")
    except (TypeError, KeyError):
        return None


@dataclass(frozen=True)
class Layout:
    """Which extract a header row belongs to and where each canonical column sits."""
    kind: str
    columns: dict[str, tuple[int, int]]     # field -> (column index, unit multiplier)


def score(vocab: Vocab, cells: list[str]) -> int:
    """Known headers in a row (best over kinds): how the header row is found below title rows."""
    keys = {header_key(c)[0] for c in cells if str(c).strip()}
    return max(len({fields[k] for k in keys if k in fields}) for fields in vocab.headers.values())


def recognise(vocab: Vocab, headers: list[str], name: str) -> Layout:
    """The extract kind from its headers; UsageError when no kind fits."""
    keyed = [header_key(h) for h in headers]
    layouts = {}
    for kind, fields in vocab.headers.items():
        columns: dict[str, tuple[int, int]] = {}
        for index, (key, multiplier) in enumerate(keyed):
            field = fields.get(key)
            if field and field not in columns:
                columns[field] = (index, multiplier)
        layouts[kind] = columns
    candidates = []
    for kind, columns in layouts.items():
        id_field = ID_FIELD[kind]
        if id_field is None:
            counts = {"arrests", "gangs", "dens", "cards_frozen"} & set(columns)
            if not counts or "case_id" in layouts["cases"] or "warning_id" in layouts["warnings"]:
                continue
        elif id_field not in columns:
            continue
        candidates.append((len(columns), kind))
    if not candidates:
        raise UsageError(f"{name}：无法识别的导出文件（表头既不像案件、预警，也不像打击战果）")
    kind = max(candidates)[1]
    columns = layouts[kind]
    missing = [vocab.labels[kind][f] for f, how in FIELD_KIND[kind].items()
               if how.endswith("!") and f not in columns]
    if missing:
        raise UsageError(f"{name}：{KIND_LABEL[kind]}表缺少必需的列：{'、'.join(missing)}")
    return Layout(kind, columns)
