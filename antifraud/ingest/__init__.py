"""Load the centre's extracts (cases, warnings, strikes; csv or xlsx) into the database.

    ingest_files(paths, db, user=None, progress=None) -> list[FileResult]
    main(args)   # python -m antifraud ingest FILE... [--db PATH] [--user NAME]

Every file is read and checked before anything is written; one unusable file
(unreadable, empty, binary, unknown kind) raises UsageError and nothing is loaded. The
good files then go to `store.apply` in one call: one atomic swap for all of them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from antifraud import clock, config, store
from antifraud import units as units_mod
from antifraud.config import UsageError
from antifraud.ingest import read, rejects, validate, vocab

LARGE_BYTES = 20 << 20       # show a progress bar from this total size on


@dataclass
class FileResult:
    file: str
    kind: str
    rows_read: int
    rows_loaded: int             # accepted rows (a repeated id counts each time; the last one is kept)
    rows_new: int
    rows_updated: int
    rows_rejected: int
    reject_file: str | None
    unknown_labels: dict = field(default_factory=dict)   # {"诈骗类型": {"新型骗法": 3}}
    note: str = ""


class _Progress:
    """`progress(fraction, text)` when the caller gives one, else tqdm on stderr for big jobs."""

    def __init__(self, callback, steps: int, large: bool):
        self.callback, self.steps, self.done, self.bar = callback, steps, 0, None
        if callback is None and large:
            from tqdm import tqdm
            self.bar = tqdm(total=steps, file=sys.stderr, unit="步", desc="导入", leave=False)

    def step(self, text: str) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(min(self.done / self.steps, 1.0), text)
        elif self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _prepare(path: Path, vocabulary, units, tick):
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{name}：无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    with ThreadPoolExecutor(1) as pool:      # hashlib lets go of the GIL: hash while reading
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        raw = read.read_raw(data, name, lambda cells: vocab.score(vocabulary, cells))
        sha = digest.result()
    del data
    tick(f"{name} 已读取")
    layout = vocab.recognise(vocabulary, raw.headers, name)
    try:
        parsed = validate.parse(raw, layout, vocabulary, units)
    except UsageError:
        raise
    except Exception as exc:  # the message could quote a cell; say only what failed
        if os.environ.get("ANTIFRAUD_DEBUG"):
            raise
        raise UsageError(f"{name}：无法解析（{type(exc).__name__}）") from None
    raw.table = None             # every row the store needs is in `parsed` now
    tick(f"{name} 已校验")
    return sha, raw, layout, parsed


def ingest_files(paths, db, user: str | None = None, progress=None) -> list[FileResult]:
    """Read, check and load `paths` into `db` in one atomic swap (all files or none)."""
    db = Path(db)
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.is_file():
            raise UsageError(f"找不到文件：{p}")
    vocabulary = vocab.load()
    # re-read on every import so an alias just added to units.csv takes effect
    units, stations = units_mod.load_units(), units_mod.load_stations()
    large = sum(p.stat().st_size for p in paths) >= LARGE_BYTES
    bar = _Progress(progress, 2 * len(paths) + 1, large)
    try:
        prepared = [(p, *_prepare(p, vocabulary, units, bar.step)) for p in paths]
        now = clock.stamp()
        batches, written = [], []
        try:
            for path, sha, raw, layout, parsed in prepared:
                reject_file = None
                if len(parsed.rejects):
                    reject_file = rejects.write(parsed.rejects, db, path.name, now)
                    written.append(reject_file)
                seen = store.already_loaded(db, sha, layout.kind)
                batch = store.Batch(
                    layout.kind, parsed.frame, path.name, sha, rows_read=parsed.rows_read,
                    rows_rejected=parsed.rows_read - parsed.rows_accepted,
                    reject_file=str(reject_file) if reject_file else None,
                    note=_audit_note(raw, parsed, seen), user_name=user)
                batch.unknown_labels = parsed.unknown_labels
                batches.append((path, batch, parsed, seen))
            store.apply(db, [b for _, b, _, _ in batches], units, stations)
        except BaseException:
            for f in written:
                f.unlink(missing_ok=True)
            raise
        bar.step("已写入数据库")
    finally:
        bar.close()
    return [_result(path, batch, parsed, seen) for path, batch, parsed, seen in batches]


def _audit_note(raw, parsed, seen: bool) -> str:
    parts = [f"{raw.fmt}{' ' + raw.encoding if raw.encoding else ''}"]
    if parsed.duplicates:
        parts.append(f"编号重复{parsed.duplicates}行")
    if seen:
        parts.append("重复导入")
    return "；".join(parts)


def _result(path: Path, batch, parsed, seen: bool) -> FileResult:
    notes = []
    if parsed.duplicates:
        notes.append(f"{parsed.duplicates} 行编号与后面的行重复，以最后一行为准")
    if seen and batch.rows_new == 0 and batch.rows_updated == 0:
        notes.append("已导入过（内容相同），数据无变化")
    elif seen:
        notes.append("已导入过，本次按新的配置更新了数据")
    return FileResult(
        file=str(path), kind=batch.kind, rows_read=parsed.rows_read, rows_loaded=parsed.rows_accepted,
        rows_new=batch.rows_new, rows_updated=batch.rows_updated,
        rows_rejected=parsed.rows_read - parsed.rows_accepted, reject_file=batch.reject_file,
        unknown_labels=parsed.unknown_labels, note="；".join(notes))


def summary(result: FileResult) -> str:
    """The lines printed for one file (no personal data: labels were blanked upstream)."""
    lines = [f"{result.file}: read {result.rows_read}, loaded {result.rows_loaded} "
             f"(new {result.rows_new}, updated {result.rows_updated}), rejected {result.rows_rejected}"]
    for label, counts in result.unknown_labels.items():
        shown = "，".join(f"「{k}」{n}行" for k, n in list(counts.items())[:10])
        more = f" 等{len(counts)}种" if len(counts) > 10 else ""
        tail = "（已归入其他）" if label in ("诈骗类型", "预警类型") else ""
        lines.append(f"  未识别的{label}：{shown}{more}{tail}")
    if result.reject_file:
        lines.append(f"  拒收明细：{result.reject_file}")
    if result.note:
        lines.append(f"  {result.note}")
    return "\n".join(lines)


def main(args) -> int:
    db, _ = config.db_path(getattr(args, "db", None))
    results = ingest_files(args.files, db, user=getattr(args, "user", None))
    for result in results:
        print(summary(result))
    print(f"数据库：{db}", file=sys.stderr)
    return 1 if any(r.rows_rejected for r in results) else 0
