"""A Streamlit viewer without a browser: the websocket protocol of the frontend (Streamlit 1.67).

What a browser tab does, read from the installed package (not guessed):
- HTTP first: GET the page URL (index.html; Streamlit sets its `_streamlit_xsrf` cookie, a
  balancer its routing cookie), then `_stcore/health` and `_stcore/host-config`, which the
  frontend fetches before it opens the socket (ConnectionManager).
- The socket `/_stcore/stream` with the subprotocol list `["streamlit", <token>, <old
  session id>?]`: the server selects the first entry and reads the second as the XSRF token
  (web/server/starlette/starlette_websocket.py `_parse_subprotocols`); the frontend puts the
  `_streamlit_xsrf` cookie's value there, or `PLACEHOLDER_AUTH_TOKEN` without one
  (`getSessionTokens` in static/js/index.*.js). The cookies go with the handshake.
- Every run is a `BackMsg.rerun_script` (ClientState, proto/ClientState_pb2): the URL's
  query string without "?", and either `page_name` (the path of the URL: the first run of a
  session, before the server has named its pages) or `page_script_hash` (an in-app switch,
  the hash taken from the `navigation` message; the default page's path is ""), plus the browser's
  `context_info` and the hashes of the large elements it already holds
  (`cached_message_hashes`; the server then sends a `ref_hash` instead of the element).
  The frontend's `sendRerunBackMsg` builds exactly these fields. On an in-app switch it also
  sends the values of the widgets the entry script drew (`onPageChange`:
  `getActiveWidgetStates` of the elements `clearPageElements` keeps), so the sidebar's week
  survives the change, and it keeps only the query parameters bound to widgets
  (`filterParamsForPageChange`: `bind="query-params"` keys, plus `embed`/`embed_options`).
- The run ends with `ForwardMsg.script_finished`: FINISHED_SUCCESSFULLY ends a view;
  FINISHED_EARLY_FOR_RERUN means the script asked for another run (`st.switch_page`,
  `st.rerun`), which follows by itself (runtime/app_session.py).

Blocking I/O (websocket-client, requests), so it runs under Locust's gevent or in threads.
"""
from __future__ import annotations

import re
import time
import urllib.parse
from dataclasses import dataclass, field

import requests
import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
EMBED_PARAMS = ("embed", "embed_options")
# The header line every page draws (antifraud/ui.py header_text): "… · 数据截至 2026-11-22 23:59".
AS_OF = re.compile(r"数据截至\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2})")


class ProtocolError(Exception):
    """The server broke the conversation: closed the socket, sent text, or never finished."""


@dataclass
class Run:
    """One view: a rerun request until its script_finished."""
    page: str
    kind: str                  # "load" (first run of a session) | "switch" (in-app page change)
    seconds: float = 0.0
    ok: bool = True
    error: str | None = None
    as_of: str | None = None   # the page's "数据截至" stamp, when it shows one
    header: str | None = None  # the whole header line holding it (period, scope, stamp)
    messages: int = 0
    bytes: int = 0
    finished_at: float = 0.0   # time.time() when script_finished arrived


@dataclass
class Session:
    """One browser tab: an HTTP visit, one websocket, several runs."""
    base_url: str                               # http://host:port (no trailing slash)
    timeout: float = 120.0                      # seconds a run may take before it counts as lost
    http: requests.Session = field(default_factory=requests.Session)
    ws: websocket.WebSocket | None = None
    pages: dict = field(default_factory=dict)   # url_pathname ("" = default page) -> page_script_hash
    current: str = ""                           # the hash of the page that ran last
    bound: list = field(default_factory=list)   # query parameters bound to widgets, in first-seen order
    query: str = ""                             # the URL's query string as the browser shows it now
    cached: set = field(default_factory=set)    # hashes of large elements this "browser" holds
    session_id: str | None = None
    main_hash: str = ""                         # the entry script's hash: its widgets survive a switch
    widgets: dict = field(default_factory=dict)  # widget id -> WidgetState the browser would send back

    # ------------------------------------------------------------ connecting

    def open(self, page: str = "", query: str = "") -> float:
        """The HTTP requests of a page load, then the socket. Returns the seconds it took."""
        started = time.perf_counter()
        url = f"{self.base_url}/{page}" + (f"?{query}" if query else "")
        self.http.get(url, timeout=self.timeout).raise_for_status()
        for path in ("_stcore/health", "_stcore/host-config"):
            self.http.get(f"{self.base_url}/{path}", timeout=self.timeout).raise_for_status()
        token = self.http.cookies.get(XSRF_COOKIE) or PLACEHOLDER_TOKEN
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        parts = urllib.parse.urlsplit(self.base_url)
        ws_url = urllib.parse.urlunsplit(("wss" if parts.scheme == "https" else "ws", parts.netloc,
                                          parts.path.rstrip("/") + "/_stcore/stream", "", ""))
        self.ws = websocket.create_connection(
            ws_url, timeout=self.timeout, subprotocols=["streamlit", token],
            origin=f"{parts.scheme}://{parts.netloc}", cookie=cookies or None,
            enable_multithread=False)
        self.query = query
        return time.perf_counter() - started

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            finally:
                self.ws = None
        self.http.close()

    # ------------------------------------------------------------ runs

    def run(self, page: str, query: str | None = None) -> Run:
        """Run `page` (its url path) with the URL's query string, as the frontend asks for it.

        The first run of a session names the page by its path (the browser has no page list
        yet); later runs are in-app switches by the page's script hash.
        """
        if self.ws is None:
            raise ProtocolError("session not open")
        if query is not None:
            self.query = query
        page_hash = self.pages.get(page, "")
        if page_hash and page_hash != self.current:
            self.query = self._kept_on_page_change()
        run = Run(page=page, kind="switch" if page_hash else "load")
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = page_hash
        state.page_name = "" if page_hash else page
        state.cached_message_hashes.extend(sorted(self.cached))
        if page_hash:
            state.widget_states.widgets.extend(self.widgets.values())
        ctx = state.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale = "Asia/Shanghai", -480, "zh-CN"
        ctx.url = f"{self.base_url}/{page}" + (f"?{self.query}" if self.query else "")
        ctx.is_embedded, ctx.color_scheme = False, "light"
        started = time.perf_counter()
        try:
            self.ws.send_binary(msg.SerializeToString())
            self._until_finished(run, started + self.timeout)
        except (websocket.WebSocketException, OSError) as exc:
            raise ProtocolError(f"{type(exc).__name__}: {exc}") from exc
        run.seconds = time.perf_counter() - started
        run.finished_at = time.time()
        return run

    def _until_finished(self, run: Run, deadline: float) -> None:
        while True:
            if time.perf_counter() > deadline:
                raise ProtocolError(f"no script_finished within {self.timeout:g} s")
            opcode, data = self.ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ProtocolError("server closed the websocket")
            if opcode != websocket.ABNF.OPCODE_BINARY:
                raise ProtocolError(f"unexpected websocket frame (opcode {opcode})")
            run.messages += 1
            run.bytes += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.metadata.cacheable and msg.hash:
                self.cached.add(msg.hash)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self._element(run, msg.delta)
                if msg.metadata.active_script_hash == self.main_hash:
                    self._remember_widget(msg.delta)
            elif kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.main_hash = msg.new_session.main_script_hash
            elif kind == "navigation":
                self.pages.clear()
                self._remember_pages(msg.navigation.app_pages)
                self.current = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                run.ok, run.error = False, f"page not found: {msg.page_not_found.page_name or run.page}"
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.ok, run.error = False, "script compile error"
                    return
                # FINISHED_EARLY_FOR_RERUN: the next run follows; a fragment's end is not the page's

    def _remember_pages(self, app_pages) -> None:
        for p in app_pages:
            self.pages["" if p.is_default else p.url_pathname] = p.page_script_hash

    def _kept_on_page_change(self) -> str:
        current = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        kept = [(k, v) for k in [*EMBED_PARAMS, *self.bound] for v in current.get(k, [])]
        return urllib.parse.urlencode(kept)

    def _remember_widget(self, delta) -> None:
        """The value the frontend holds for an entry-script filter widget: a widget it already
        shows keeps its value unless the server sets one (`set_value`); a new one starts at the
        server's `raw_value`, else at the option of the default index."""
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        which = element.WhichOneof("type")
        key = getattr(getattr(element, which), "query_param_key", "") if which else ""
        if key and key not in self.bound:
            self.bound.append(key)
        state = WidgetState()
        box = getattr(element, which) if which in ("selectbox", "multiselect") else None
        if box is None or (box.id in self.widgets and not box.set_value):
            return
        if which == "selectbox":
            if box.set_value:
                state.string_value = box.raw_value
            elif box.HasField("default") and 0 <= box.default < len(box.options):
                state.string_value = box.options[box.default]
            else:
                return
            state.id = box.id
        else:
            values = list(box.raw_values) if box.set_value else [box.options[i] for i in box.default
                                                                  if 0 <= i < len(box.options)]
            state.string_array_value.data.extend(values)
            state.id = box.id
        self.widgets[state.id] = state

    @staticmethod
    def _element(run: Run, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        which = element.WhichOneof("type")
        if which in ("markdown", "html"):     # the wall draws its header as HTML
            body = element.markdown.body if which == "markdown" else element.html.body
            if run.as_of is None:
                found = AS_OF.search(body)
                if found:
                    run.as_of, run.header = found.group(1), body
        elif which == "exception":
            run.ok = False
            run.error = f"exception: {element.exception.type} {element.exception.message[:120]}".strip()
        elif which == "alert" and element.alert.format == element.alert.ERROR:
            run.ok = False
            run.error = f"error box: {element.alert.body[:120]}"
