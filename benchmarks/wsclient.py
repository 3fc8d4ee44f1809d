"""A minimal Streamlit client for measuring the server alone: it speaks the app's websocket protocol
(the same protobuf messages the browser sends and receives) but draws nothing.

In a classroom each student's browser runs on their own laptop; on this 2-core machine five Chromium
pages would eat the cores the server is meant to have. This client does what the browser's frontend does
that matters to the server — open a session at a URL, click a button, and fire each fragment's
`run_every` timer (the frontend's `setInterval`, started by the server's `auto_rerun` message) — and
records when each update of the live panel (its progress line) arrives.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Session:
    """One browser tab: a websocket session on one page of the app."""

    url: str  # e.g. http://127.0.0.1:8501
    page: str  # e.g. "train"
    query: str  # e.g. "spec=..."
    cookie: str = ""  # e.g. "pg_browser=<32 hex>": a browser whose runs survive a reload
    buttons: dict[str, str] = field(default_factory=dict)  # label → widget id
    progress_times: list[float] = field(default_factory=list)  # arrival of each update of the live panel
    progress_text: str = ""
    messages: int = 0
    received_bytes: int = 0
    runs: dict[str, int] = field(default_factory=dict)  # script_finished statuses seen: whole runs, fragment runs, ...
    _ws: object = None
    _page_hash: str = ""
    _timers: dict[str, asyncio.Task] = field(default_factory=dict)
    _intervals: dict[str, float] = field(default_factory=dict)
    _reader: asyncio.Task | None = None
    _finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def polling(self) -> dict[str, float]:
        """The fragment timers the page runs now: fragment id → interval in seconds."""
        return dict(self._intervals)

    def _client_state(self, fragment_id: str = "", widgets: list[WidgetState] | None = None) -> ClientState:
        cs = ClientState(query_string=self.query, page_script_hash=self._page_hash, page_name="" if self._page_hash else self.page,
                         fragment_id=fragment_id, is_auto_rerun=bool(fragment_id))
        cs.widget_states.widgets.extend(widgets or [])
        return cs

    async def _send(self, cs: ClientState) -> None:
        msg = BackMsg()
        msg.rerun_script.CopyFrom(cs)
        await self._ws.send(msg.SerializeToString())

    async def _every(self, fragment_id: str, interval: float) -> None:
        while True:  # like the frontend's setInterval: fires on time whether or not the last run has finished
            await asyncio.sleep(interval)
            await self._send(self._client_state(fragment_id))

    def _on(self, fm: ForwardMsg) -> None:
        self.messages += 1
        kind = fm.WhichOneof("type")
        if kind in ("new_session", "navigation"):  # the page's hash, once the app has declared its pages
            pages = getattr(fm, kind).app_pages
            self._page_hash = {(p.url_pathname or p.page_name).lower(): p.page_script_hash for p in pages}.get(self.page, self._page_hash)
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            which = el.WhichOneof("type")
            if which == "button":
                self.buttons[el.button.label] = el.button.id
            elif which == "bidi_component" and (head := json.loads(el.bidi_component.json or "{}").get("head")):
                self.progress_times.append(time.perf_counter())  # the live panel: its status line and charts
                self.progress_text = head["progress"]["text"]
        elif kind == "script_finished":
            name = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
            self.runs[name] = self.runs.get(name, 0) + 1
            if fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                self._finished.set()  # a whole-page run; not a fragment run, nor one cut short by a rerun
        elif kind == "auto_rerun":
            fid, every = fm.auto_rerun.fragment_id, fm.auto_rerun.interval
            if self._intervals.get(fid) == every:
                return  # as the frontend does: a timer with the same interval keeps running, on its own beat
            if fid in self._timers:
                self._timers.pop(fid).cancel()
            self._intervals[fid] = every
            self._timers[fid] = asyncio.create_task(self._every(fid, every))
        elif kind == "stop_auto_rerun":
            for fid in fm.stop_auto_rerun.fragment_ids:
                self._intervals.pop(fid, None)
                if fid in self._timers:
                    self._timers.pop(fid).cancel()

    async def _read(self) -> None:
        async for data in self._ws:
            self.received_bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            self._on(fm)

    async def open(self) -> None:
        host = urlparse(self.url).netloc
        self._ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], origin=f"http://{host}",
                                           max_size=None, additional_headers={"Cookie": self.cookie} if self.cookie else None)
        self._reader = asyncio.create_task(self._read())
        self._finished.clear()
        await self._send(self._client_state())
        await asyncio.wait_for(self._finished.wait(), 60)

    async def click(self, label: str) -> None:
        self._finished.clear()
        await self._send(self._client_state(widgets=[WidgetState(id=self.buttons[label], trigger_value=True)]))

    async def close(self) -> None:
        for task in self._timers.values():
            task.cancel()
        await self._ws.close()
        self._reader.cancel()


class Crowd:
    """N sessions on their own event loop in a background thread, for use beside Playwright's sync API."""

    def __init__(self, url: str, page: str, query: str, n: int, cookies: list[str] | None = None):
        self.sessions = [Session(url, page, query, cookie) for cookie in (cookies or [""] * n)]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def open(self) -> None:
        for s in self.sessions:
            self._run(s.open())

    def click(self, label: str) -> None:
        for s in self.sessions:
            self._run(s.click(label))

    def close(self) -> None:
        for s in self.sessions:
            self._run(s.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
