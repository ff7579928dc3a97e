"""Calibration figures: per-week records in, summaries, the printed table and the docs block out.

Pure functions of the harness's records (no database, no clock). The targets are issue
14's and DATA.md's "Calibrated, not asserted" line; tests/test_calibration.py asserts them
from here, so the table's ✓/✗ and the CI test cannot disagree.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from antifraud import metrics

TARGETS = {
    "changes_per_week": 0.1,        # null worlds: announced KPI changes per week, at most
    "share_with_any": 0.10,         # null worlds: share of weeks announcing anything, at most
    "hotspots_per_week": 0.2,       # null worlds: emerging hot spots per week, at most
    "found_share": 0.8,             # planted changes: share of seeds in which they are announced, at least
}
SCOPE_WORDS = {"city": "全市", "bureau": "分局"}
PLANT_LABELS = {
    "cases": "(a) 全市发案 +30 %，3周 / city cases +30 % for 3 weeks",
    "overdue": "(b) 一个分局超期率 5 %→15 %，3周 / one bureau's overdue rate 5 %→15 %",
    "township": "(c) 一个乡镇 ≈1→6 起/周，3周 / one township ≈1→6 cases a week",
}


def markers(size: str) -> tuple[str, str]:
    """The comments around a size's figures in docs/significance.md (one block per size)."""
    return f"<!-- calibrate:{size}:begin -->", f"<!-- calibrate:{size}:end -->"


def world_label(name: str, variation: float, scope: str) -> str:
    if not variation:
        return "纯泊松 pure Poisson"
    return f"周间波动 gamma {variation:.0%} {SCOPE_WORDS.get(scope, scope)}"


def label(name: str) -> str:
    return metrics.ALL[name].label if name in metrics.ALL else name


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def null_summary(weeks: list[dict]) -> dict:
    """One null world (all its seeds pooled): what was announced per week."""
    changes = [len({c[0] for c in w["changes"]}) for w in weeks]
    hot = [len(w["hotspots"]) for w in weeks]
    notable = [len(w["rank_notable"]) for w in weeks]
    often = Counter(name for w in weeks for name in dict.fromkeys(c[0] for c in w["changes"]))
    keys = Counter(c[1] for w in weeks for c in w["changes"])
    return {
        "weeks": len(weeks),
        "changes_per_week": round(_mean(changes), 3),
        "changes_max": max(changes, default=0),
        "weeks_with_any": sum(1 for c in changes if c),
        "share_with_any": round(_mean(1.0 if c else 0.0 for c in changes), 3),
        "flags_per_week": round(_mean(len(w["changes"]) for w in weeks), 3),
        "flags_by_comparison": dict(keys.most_common()),
        "top_metrics": [[name, label(name), n] for name, n in often.most_common(6)],
        "hotspots_per_week": round(_mean(hot), 3),
        "hotspots_max": max(hot, default=0),
        "hotspot_weeks_with_any": sum(1 for h in hot if h),
        "rank_notable_per_week": round(_mean(notable), 3),
        # the fraud-type table's 显著变化 column: read for the record, no target in issue 14
        "type_flags_per_week": round(_mean(len(w.get("type_flags", [])) for w in weeks), 3),
    }


def plant_summary(seeds: list[dict]) -> dict:
    out = {}
    for kind in PLANT_LABELS:
        found = [s["found"][kind] for s in seeds if kind in s.get("found", {})]
        out[kind] = {"found": sum(found), "of": len(found),
                     "share": round(sum(found) / len(found), 3) if found else float("nan")}
    return out


def meets(summary: dict) -> dict[str, bool]:
    """Each target, met or not, for a run's summary."""
    out = {}
    for world, s in summary.get("null", {}).items():
        out[f"{world}: changes/week ≤ {TARGETS['changes_per_week']}"] = s["changes_per_week"] <= TARGETS["changes_per_week"]
        out[f"{world}: weeks with any ≤ {TARGETS['share_with_any']:.0%}"] = s["share_with_any"] <= TARGETS["share_with_any"]
        out[f"{world}: hot spots/week ≤ {TARGETS['hotspots_per_week']}"] = s["hotspots_per_week"] <= TARGETS["hotspots_per_week"]
    for kind, p in summary.get("planted", {}).items():
        out[f"planted {kind}: found ≥ {TARGETS['found_share']:.0%}"] = p["share"] >= TARGETS["found_share"]
    for story in summary.get("stories", []):
        out[f"sample story {story['story']}: found"] = bool(story["found"])
    return out


def _pad(text: str, width: int) -> str:
    """Left-justify by display width: a Chinese character takes two columns in a terminal."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def table(summary: dict) -> str:
    """The compact table the command prints."""
    lines = []
    head = (f"{'world':<28}{'weeks':>6}{'changes/wk':>12}{'max':>5}{'weeks≥1':>9}{'hot/wk':>8}{'rank!/wk':>9}"
            f"{'type!/wk':>9}  most often")
    lines += [head, "-" * len(head)]
    for world, s in summary.get("null", {}).items():
        often = "、".join(f"{lbl}({n})" for _, lbl, n in s["top_metrics"])
        lines.append(f"{_pad(s.get('label', world), 28)}{s['weeks']:>6}"
                     f"{s['changes_per_week']:>10.2f} {_mark(s['changes_per_week'] <= TARGETS['changes_per_week'])}"
                     f"{s['changes_max']:>5}{s['weeks_with_any']:>5}/{s['weeks']:<3}"
                     f"{s['hotspots_per_week']:>6.2f} {_mark(s['hotspots_per_week'] <= TARGETS['hotspots_per_week'])}"
                     f"{s['rank_notable_per_week']:>8.2f}{s.get('type_flags_per_week', 0):>9.2f}  {often}")
    if summary.get("planted"):
        lines.append("")
        for kind, p in summary["planted"].items():
            lines.append(f"{PLANT_LABELS[kind]}: found in {p['found']} of {p['of']} seeds "
                         f"({p['share']:.0%}) {_mark(p['share'] >= TARGETS['found_share'])}")
    if summary.get("stories"):
        lines.append("")
        for story in summary["stories"]:
            lines.append(f"sample story {story['story']} ({story['what']}): "
                         f"{'found' if story['found'] else 'NOT found'} {_mark(story['found'])} — {story['evidence']}")
    if summary.get("consistency"):
        c = summary["consistency"]
        lines.append("")
        lines.append(f"narrow path = briefing.build on {len(c['weeks'])} weeks: "
                     f"{'agrees' if c['agree'] else 'DIFFERS: ' + '; '.join(c['differences'])[:400]}")
    return "\n".join(lines)


def markdown(summary: dict, run: dict, size: str = "ci") -> str:
    """The figures block of docs/significance.md for a run of this size."""
    begin, end = markers(size)
    out = [begin, "",
           f"Latest run: `{run['command']}` — code `{run.get('commit', '?')}`, "
           f"{run['seconds']:.0f} s on {run['machine']}.", ""]
    out += ["| world | weeks | announced changes / week | max | weeks with any | most often | "
            "hot spots / week | notable rank changes / week | fraud-type flags / week |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for world, s in summary.get("null", {}).items():
        often = "、".join(f"{lbl} {n}" for _, lbl, n in s["top_metrics"])
        out.append(f"| {s.get('label', world)} | {s['weeks']} | **{s['changes_per_week']:.2f}** | "
                   f"{s['changes_max']} | {s['weeks_with_any']} of {s['weeks']} | {often} | "
                   f"**{s['hotspots_per_week']:.2f}** | {s['rank_notable_per_week']:.2f} | "
                   f"{s.get('type_flags_per_week', 0):.2f} |")
    out += ["", "| planted change | announced in |", "|---|---:|"]
    for kind, p in summary.get("planted", {}).items():
        out.append(f"| {PLANT_LABELS[kind]} | **{p['found']} of {p['of']}** seeds ({p['share']:.0%}) |")
    out += ["", "| sample story (docs/sample.md) | found | evidence |", "|---|---|---|"]
    for story in summary.get("stories", []):
        out.append(f"| {story['story']} {story['what']} | {'yes' if story['found'] else '**no**'} | {story['evidence']} |")
    out += ["", "Targets: " + "; ".join(f"{k} {_mark(v)}" for k, v in meets(summary).items()) + ".", "",
            "Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in run.get("timings", {}).items()) + ".", "", end]
    return "\n".join(out)


def write_docs(path: Path, block: str, size: str = "ci") -> None:
    """Replace the size's figures block between its markers (the rest of the page is left alone)."""
    begin, end = markers(size)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")
