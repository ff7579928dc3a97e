"""The load harness's viewer does what the Streamlit frontend does (antifraud/load/protocol.py),
and its report says where a server saturates (run.py) — without starting a server.

End to end, through nginx and two replicas, the viewer is exercised by tests/test_replicas.py.
"""
from __future__ import annotations

import pytest

pytest.importorskip("websocket", reason="requirements-bench.txt is not installed")

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from antifraud.load import protocol, run  # noqa: E402

MAIN, PAGE_A, PAGE_B = "main-hash", "page-a", "page-b"


class FakeSocket:
    """Plays back ForwardMsgs and keeps what the client sent."""

    def __init__(self, replies: list[ForwardMsg]):
        self.replies = [m.SerializeToString() for m in replies]
        self.sent: list[BackMsg] = []

    def send_binary(self, data: bytes) -> None:
        msg = BackMsg()
        msg.ParseFromString(data)
        self.sent.append(msg)

    def recv_data(self):
        return protocol.websocket.ABNF.OPCODE_BINARY, self.replies.pop(0)


def _navigation(current: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.navigation.page_script_hash = current
    for path, hash_, default in (("", PAGE_A, True), ("areas", PAGE_B, False)):
        page = msg.navigation.app_pages.add()
        page.url_pathname, page.page_script_hash, page.is_default = path, hash_, default
    return msg


def _week_box(value_index: int, set_value: str | None = None) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.active_script_hash = MAIN
    box = msg.delta.new_element.selectbox
    box.id, box.options[:] = "$$ID-week", ["2026-W48", "2026-W47"]
    box.default = value_index
    if set_value is not None:
        box.set_value, box.raw_value = True, set_value
    return msg


def _district_box() -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.active_script_hash = MAIN
    box = msg.delta.new_element.multiselect
    box.id, box.options[:], box.query_param_key = "$$ID-district", ["牧野区", "卫滨区"], "district"
    box.default[:] = [0]
    return msg


def _header(as_of: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.delta.new_element.markdown.body = f"新乡市 · 2026年第47周 · 牧野区 · 数据截至 {as_of}"
    return msg


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg


def _session(replies) -> protocol.Session:
    session = protocol.Session("http://127.0.0.1:1")
    session.ws = FakeSocket(replies)
    return session


def _new_session() -> ForwardMsg:
    msg = ForwardMsg()
    msg.new_session.main_script_hash = MAIN
    msg.new_session.initialize.session_id = "s-1"
    return msg


def test_first_run_names_the_page_by_its_path_and_reads_the_header():
    session = _session([_new_session(), _navigation(PAGE_B), _week_box(1), _district_box(),
                        _header("2026-11-22 23:30"), _finished()])
    run_ = session.run("areas", "week=2026-W47&district=牧野区")
    sent = session.ws.sent[0].rerun_script
    assert (sent.page_name, sent.page_script_hash, sent.query_string) == ("areas", "", "week=2026-W47&district=牧野区")
    assert not sent.widget_states.widgets                         # a new tab holds no widget values
    assert (run_.kind, run_.ok, run_.as_of) == ("load", True, "2026-11-22 23:30")
    assert session.session_id == "s-1" and session.pages == {"": PAGE_A, "areas": PAGE_B}


def test_the_walls_header_drawn_as_html_is_read_too():
    html = ForwardMsg()
    html.delta.new_element.html.body = ('<div class="wall-bar"><span class="wall-title">本周态势</span>'
                                        '<span data-testid="wallAsOf">数据截至 2026-11-22 23:30</span></div>')
    run_ = _session([_new_session(), _navigation(PAGE_B), html, _finished()]).run("", "wall=1")
    assert (run_.ok, run_.as_of) == (True, "2026-11-22 23:30") and "wall-bar" in run_.header


def test_the_bare_yardstick_page_draws_the_elements_it_is_given():
    """bench --browser's bare page: one chart, or as many elements of each kind as a page showed."""
    from streamlit.testing.v1 import AppTest
    from antifraud.load import browser
    bare = AppTest.from_string(browser.BARE_APP, default_timeout=60)
    bare.run()
    assert not bare.exception and len(bare.get("plotly_chart")) == 1 and not bare.get("dataframe")
    same = AppTest.from_string(browser.BARE_APP, default_timeout=60)
    same.query_params["main"] = "stPlotlyChart:3,stDataFrame:2,stMetric:4,stMarkdown:2,stSomethingNew:1"
    same.query_params["side"] = "stSelectbox:1,stMultiSelect:2,stDownloadButton:1"
    same.run()
    assert not same.exception
    assert (len(same.get("plotly_chart")), len(same.dataframe), len(same.metric)) == (3, 2, 4)
    assert len(same.markdown) == 3            # two texts and the unknown kind, drawn as text
    assert (len(same.sidebar.selectbox), len(same.sidebar.multiselect)) == (1, 2)


def test_a_switch_sends_the_page_hash_the_entry_scripts_widgets_and_only_bound_parameters():
    session = _session([_new_session(), _navigation(PAGE_B), _week_box(1), _district_box(), _finished(),
                        # the next run redraws the week box at its default: the browser keeps its own value
                        _navigation(PAGE_A), _week_box(0), _finished(),
                        _navigation(PAGE_B), _finished()])
    session.run("areas", "week=2026-W47&district=牧野区")
    session.run("")
    switch = session.ws.sent[1].rerun_script
    assert (switch.page_name, switch.page_script_hash) == ("", PAGE_A)
    assert switch.query_string == "district=%E7%89%A7%E9%87%8E%E5%8C%BA"   # `week` is not bound: dropped
    values = {w.id: (w.string_value or list(w.string_array_value.data)) for w in switch.widget_states.widgets}
    assert values == {"$$ID-week": "2026-W47", "$$ID-district": ["牧野区"]}
    session.run("areas")
    again = {w.id: w.string_value for w in session.ws.sent[2].rerun_script.widget_states.widgets}
    assert again["$$ID-week"] == "2026-W47"                          # not reset by the redraw at default


def test_a_rerun_asked_by_the_script_is_waited_for_and_an_exception_fails_the_view():
    error = ForwardMsg()
    error.delta.new_element.exception.type = "KeyError"
    session = _session([_new_session(), _finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), error, _finished()])
    run_ = session.run("areas")
    assert len(session.ws.replies) == 0 and not run_.ok and "KeyError" in run_.error


def test_saturation_is_where_throughput_falls_behind_an_idle_server():
    rows = [{"users": 1, "views_per_second": 0.18, "p50_s": 0.4, "p95_s": 0.8, "cpu_share": 0.04},
            {"users": 10, "views_per_second": 1.7, "p50_s": 0.9, "p95_s": 2.4, "cpu_share": 0.38},
            {"users": 30, "views_per_second": 2.0, "p50_s": 10.2, "p95_s": 15.8, "cpu_share": 0.49}]
    assert run.efficiencies(rows, 5.0) == [0.97, 0.92, 0.36]
    assert run.saturation(rows, 5.0).startswith("饱和：N=30")
    assert "仍未饱和" in run.saturation(rows[:2], 5.0)


def test_the_steady_state_begins_when_every_viewer_has_its_first_page():
    views = [  # two viewers open at t=0; the second's first page queues behind the first's
        {"viewer": 0, "kind": "connect", "started_at": 0.0, "ms": 10},
        {"viewer": 0, "kind": "load", "started_at": 0.0, "ms": 1000},
        {"viewer": 1, "kind": "load", "started_at": 0.0, "ms": 2500},
        {"viewer": 0, "kind": "switch", "started_at": 2.0, "ms": 300},      # during the opening
        {"viewer": 0, "kind": "switch", "started_at": 6.0, "ms": 200},
        {"viewer": 1, "kind": "switch", "started_at": 7.0, "ms": 100}]
    assert run.opening_burst_end(views) == 2.5
    assert [v["ms"] for v in views if v["started_at"] > run.opening_burst_end(views)] == [200, 100]
    assert run.opening_burst_end([]) is None
