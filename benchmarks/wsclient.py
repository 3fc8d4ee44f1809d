"""A minimal Streamlit client for measuring the server alone: it speaks the app's websocket protocol
(the same protobuf messages the browser sends and receives) but draws nothing.

In a classroom each student's browser runs on their own laptop; on this 2-core machine five Chromium
pages would eat the cores the server is meant to have. This client does what the browser's frontend does
that matters to the server — open a session at a URL, click a button, fire each fragment's `run_every`
timer (the frontend's `setInterval`, started by the server's `auto_rerun` message), and follow the live
panel's feed as its component does (playground/ui/live_feed.py: ask for news every `every` seconds, saying
which figures it has; rerun the page when the status changes) — and records when each update of the live
panel (its progress line) arrives.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
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
    feed_requests: int = 0
    feed_address: str = ""  # the live panel's feed, as the last page run gave it
    _feed: asyncio.Task | None = None
    _have: dict[str, dict[str, Any]] = field(default_factory=dict)  # chart id → {"sig", "n"}, as the component keeps them

    @property
    def polling(self) -> dict[str, float]:
        """The fragment timers the page runs now: fragment id → interval in seconds."""
        return dict(self._intervals)

    @property
    def following(self) -> bool:
        """The live panel asks its feed for news (the run waits or trains)."""
        return self._feed is not None and not self._feed.done()

    def _headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie} if self.cookie else {}

    def _panel(self, data: dict[str, Any]) -> None:
        """One update of the live panel: its progress line, and what it now has of each chart."""
        if data.get("head"):
            self.progress_times.append(time.perf_counter())
            self.progress_text = data["head"]["progress"]["text"]
        for chart in (c for row in data.get("rows", []) for c in row):
            if "figure" in chart:
                fig = json.loads(chart["figure"]) if isinstance(chart["figure"], str) else chart["figure"]
                self._have[chart["id"]] = {"sig": chart["sig"], "n": [len(tr["x"]) if isinstance(tr.get("x"), list) else 0 for tr in fig["data"]]}
            elif (had := self._have.get(chart["id"])) is not None and had["sig"] == chart["sig"]:
                for i, part in chart.get("extend", {}).items():
                    had["n"][int(i)] = part["from"] + len(part["x"])

    def _follow(self, data: dict[str, Any]) -> None:
        """As the component does on each page run: stop following the last feed; follow this one while `every`."""
        if self._feed is not None:
            self._feed.cancel()
            self._feed = None
        self.feed_address = data.get("feed") or ""
        if data.get("feed") and data.get("every"):
            self._feed = asyncio.create_task(self._ask(data["feed"], data["every"]))

    async def _ask(self, path: str, every: float) -> None:
        while every:
            await asyncio.sleep(every)
            status, answer = await self._post(path, {"have": self._have})
            self.feed_requests += 1
            if status != 200:  # gone (the page ran again) or refused: the page runs again, and follows its new feed
                await self._send(self._client_state())
                return
            self._panel(answer)
            if answer["changed"]:
                await self._send(self._client_state())
                return
            every = answer["every"]

    async def _post(self, path: str, body: dict) -> tuple[int, dict]:
        """One HTTP/1.1 POST to this server, as the browser's fetch sends it."""
        host, port = urlparse(self.url).hostname, urlparse(self.url).port or 80
        reader, writer = await asyncio.open_connection(host, port)
        try:
            payload = json.dumps(body).encode()
            head = {"Host": f"{host}:{port}", "Content-Type": "application/json", "Content-Length": str(len(payload)),
                    "Connection": "close", **self._headers()}
            writer.write(f"POST {path} HTTP/1.1\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode() + b"\r\n" + payload)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        top, _, rest = raw.partition(b"\r\n\r\n")
        status = int(top.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in top.lower():
            body_bytes, chunks = b"", rest
            while chunks:
                size, _, chunks = chunks.partition(b"\r\n")
                n = int(size, 16)
                if not n:
                    break
                body_bytes, chunks = body_bytes + chunks[:n], chunks[n + 2:]
            rest = body_bytes
        self.received_bytes += len(raw)
        return status, json.loads(rest or b"{}")

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
            elif which == "bidi_component" and el.bidi_component.component_name == "playground.live_charts":
                data = json.loads(el.bidi_component.json or "{}")
                if "feed" in data:  # the Train page's live panel (not another set of live charts)
                    self._have.clear()  # a page run sends every figure whole
                    self._panel(data)
                    self._follow(data)
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
        for task in [*self._timers.values(), *([self._feed] if self._feed else [])]:
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
