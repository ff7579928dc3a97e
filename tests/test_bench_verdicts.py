"""The bench's verdicts on issue 16's targets, on hand-made results (no benchmark is run)."""
from antifraud import bench


def _history(years, warnings, p95s, ratios, ingest=3.0, rss=400):
    return {"years": years, "rows": {"warnings": warnings},
            "pages": [{"page": f"p{i}", "warm_p95_ms": v, "ratio": r} for i, (v, r) in enumerate(zip(p95s, ratios))],
            "ingest": [{"kind": "cases", "ratio": ingest}, {"kind": "strikes", "ratio": 50.0}],
            "serve_peak_rss_mb": rss}


def test_verdicts_judge_the_largest_history_against_the_smallest():
    ok = {"histories": [_history(1, 10, [50, 80], [30, 25]), _history(2, 20, [59, 95], [40, 21], ingest=2.9)]}
    v = bench.verdicts(ok)
    assert v == {"history": "2 years", "warm_p95_le_100ms": True, "flat_within_20pct": True, "pandas_20x": True,
                 "ingest_within_3x": True, "serve_under_1_5GB": True}
    # 80 → 101 ms: over 100 ms, and 26 % slower with twice the history; strikes' ratio is never judged
    slow = {"histories": [_history(1, 10, [50, 80], [30, 25]), _history(2, 20, [50, 101], [40, 19], ingest=3.1)]}
    v = bench.verdicts(slow)
    assert not v["warm_p95_le_100ms"] and not v["flat_within_20pct"] and not v["pandas_20x"]
    assert not v["ingest_within_3x"] and v["serve_under_1_5GB"]
    assert bench.verdicts({"histories": [_history(2, 20, [50], [30], rss=1600)]})["serve_under_1_5GB"] is False


def test_reused_data_is_found_next_to_its_marker_wherever_the_bench_runs(tmp_path, monkeypatch):
    """A bench-out generated with a relative --out from another directory is reused from here."""
    import json
    folder = tmp_path / "out" / "data" / "s10-y1"
    folder.mkdir(parents=True)
    (folder / "案件_2025W47-2026W46.csv").write_text("x\n", encoding="utf-8")
    want = {"scale": 10.0, "years": 1.0, "end": "2026-W46", "seed": 1}
    (folder / ".bench-complete.json").write_text(json.dumps(
        {"args": want, "files": {"cases": ["bench-out/s10/data/s10-y1/案件_2025W47-2026W46.csv"]}}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    info = bench.generate(folder, 10.0, 1.0, "2026-W46", 1)
    assert info["reused"] and info["files"] == {"cases": [str(folder / "案件_2025W47-2026W46.csv")]}
