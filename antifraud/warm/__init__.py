"""`python -m antifraud warm`: every server looks at the meeting's pages once after an import.

An import swaps the database file. On each Streamlit process, the first view of a page
afterwards finds DuckDB cold — a new reader of the new file, nothing in its buffers — and the
figures the pages share (a period's KPIs and tests, the type changes, the ranking; kept per
database stamp, `queries.memo`) not yet computed for the new data: at the top scale the first
本周态势 took 2 s of queries that take 0.15 s warm (docs/performance.md). Run right after the
weekly import (docs/deploy.md), this command opens the default link (the last complete week,
the whole city) and the wall's on every server given, straight to it (not through nginx:
every replica keeps its own figures), each agenda page at its own address the way a browser
opens it (antifraud/load/protocol.py) — so the chief opening the wall sees it at once. Other links
(a district, another week) still compute on their first view.

With login required (docs/access.md), the wall's kiosk account lets it in: its password in
the environment variable ANTIFRAUD_KIOSK_KEY (not on the command line, where `ps` shows it);
the pages then run in wall mode, which computes the same shared figures. A view that shows no
data (the login form) is reported and the command exits with 1.
"""
from __future__ import annotations

import os
import sys
import urllib.parse

KEY_ENV = "ANTIFRAUD_KIOSK_KEY"
DEFAULT_URL = "http://127.0.0.1:8501"


def agenda() -> list[tuple[str, str, str]]:
    """(name, url path, title) of every agenda page; the default page's path is "" (how a
    browser opens the dashboard's address)."""
    from antifraud.registry import agenda as pages
    return [(p.url_path, "" if i == 0 else p.url_path, p.title) for i, p in enumerate(pages())]


def links(kiosk_key: str | None) -> list[str]:
    """The links looked at: the browser's default link and the wall's; with a kiosk key only
    the wall's (a kiosk account is moved into wall mode anyway)."""
    if kiosk_key:
        return [urllib.parse.urlencode({"wall": "1", "kiosk": kiosk_key})]
    return ["", "wall=1"]


def view(servers: list[tuple[str, str]], pages: list, link_list: list[str], timeout: float) -> list[dict]:
    """Every page of every link on every server (label, base URL), each opened at its own
    address in a new session, as a browser tab or the wall's next slide opens it (an in-app
    switch would keep only the filters, not `wall=1`). `pages`: (name, url path, title), the
    default page's path "". One row per view, in that order."""
    from antifraud.load import protocol
    out = []
    for label, url in servers:
        for link in link_list:
            for name, path, title in pages:
                session = protocol.Session(url, timeout=timeout)
                try:
                    session.open(path, link)
                    run = session.run(path)
                finally:
                    session.close()
                out.append({"server": label, "link": link, "page": name, "title": title,
                            "seconds": round(run.seconds, 3), "ok": run.ok, "error": run.error,
                            "shows_data": run.as_of is not None, "as_of": run.as_of})
    return out


def _shown_link(link: str) -> str:
    """A link as printed: the kiosk key never appears."""
    query = urllib.parse.parse_qs(link)
    if "kiosk" in query:
        query["kiosk"] = ["***"]
    return urllib.parse.urlencode(query, doseq=True) or "（默认链接）"


def main(args) -> int:
    urls = [u.rstrip("/") for u in (args.url or [DEFAULT_URL])]
    key = os.environ.get(KEY_ENV) or None
    rows = view([(u, u) for u in urls], agenda(), links(key), args.timeout)
    bad = [r for r in rows if not r["ok"] or not r["shows_data"]]
    for url in urls:
        mine = [r for r in rows if r["server"] == url]
        print(f"{url}：{len(mine)} 次页面运行，共 {sum(r['seconds'] for r in mine):.1f} 秒；数据截至 "
              f"{next((r['as_of'] for r in mine if r['as_of']), '—')}")
        for r in mine:
            state = "出错：" + str(r["error"])[:200] if not r["ok"] else ("" if r["shows_data"] else "未显示数据")
            print(f"  {_shown_link(r['link'])}  {r['title']}  {r['seconds']:.2f} s  {state}".rstrip())
    if bad:
        hint = "" if key else f"；看板要求登录时，请在环境变量 {KEY_ENV} 中给出墙屏（kiosk）账号的口令"
        print(f"错误：{len(bad)} 次页面运行未显示数据或出错{hint}", file=sys.stderr)
        return 1
    return 0
