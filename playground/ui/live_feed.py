"""The live panels' feed: while a run trains, its Train page asks this server what is new, outside Streamlit.

Why: every element a Streamlit script run sends makes the browser render the whole page again (five renders a
run, about 1,400 components). Polled through a fragment twice a second, a training page cost its browser 0.2–0.3
of a core. The panel's component asks this feed instead, by a plain HTTP request: no script run, nothing on the
page redrawn but the panel. A change of status (finished, paused, a new place in the waiting line) is answered
with `changed`, and the component reruns its fragment, which reruns the page once (as DESIGN.md's polling
fragment did); every other page run, and the page's first draw, go through Streamlit as before.

A feed is one page run's live panel. It is named by an unguessable token that only that session's browser is
sent, over its websocket; the page's next run replaces it, and it is forgotten when its session ends or when
nobody has asked for it for IDLE_SECONDS. A token gives the panel's charts and status line, nothing else: no
command, no weights, no other run. The request says which figures the browser has (a short signature each, and
the points of each trace), read by one typed parser with limits; the answer is what it lacks.

The route is mounted by app.py's `st.App` (so `streamlit run app.py` serves it). Where the app runs without it
(AppTest, or a host that runs the pages without app.py's route), panels get no feed address and their fragment
polls by its own timer, as before.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from playground.once import per_process

IDLE_SECONDS = 600.0  # a feed nobody asked for in this long is forgotten (a page's next run makes a new one)
MAX_BODY = 4096  # bytes: what a browser says it has, for at most a few charts
PATH = "/_pg/live/{token}"
_served: list[bool] = []  # [True] once app.py's server has mounted the route (process configuration, no user data)


class Panel(Protocol):
    """What a feed serves: the answer to a browser that has `have` (see ui/live_panel.py)."""

    def answer(self, have: dict[str, dict[str, Any]]) -> dict[str, Any]: ...


class _Had(BaseModel):
    """One chart as the browser has it: the signature it was sent, and the points of each of its traces."""

    model_config = ConfigDict(extra="forbid", strict=True)
    sig: str = Field(max_length=32, pattern=r"^[0-9a-f]*$")
    n: list[int] = Field(max_length=16)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    have: dict[str, _Had] = Field(default_factory=dict, max_length=8)


def parse_have(body: bytes) -> dict[str, dict[str, Any]]:
    """The browser's request, typed: {chart id: {"sig", "n"}}; ValueError with one sentence when it is not that."""
    if len(body) > MAX_BODY:
        raise ValueError(f"A feed request is at most {MAX_BODY} bytes.")
    try:
        request = _Request.model_validate(json.loads(body or b"{}"))
    except (ValueError, ValidationError):
        raise ValueError("A feed request is a JSON object {\"have\": {chart: {\"sig\", \"n\"}}}.") from None
    if any(len(k) > 32 or n < 0 for k, had in request.have.items() for n in had.n):
        raise ValueError("A feed request names charts by their ids and counts points from 0.")
    return {k: had.model_dump() for k, had in request.have.items()}


class Feeds:
    """The server's live panels by token: added by a page run, replaced by the next, read by the route."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS):
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._panels: dict[str, tuple[Panel, list[float]]] = {}  # token → (panel, [last asked, monotonic])

    def add(self, panel: Panel, replaces: str | None = None) -> str:
        """Serve `panel` under a new token (forgetting the one it `replaces`, and feeds idle too long)."""
        token = secrets.token_urlsafe(18)
        now = time.monotonic()
        with self._lock:
            self._panels.pop(replaces or "", None)
            for old in [k for k, (_, asked) in self._panels.items() if now - asked[0] > self.idle_seconds]:
                del self._panels[old]
            self._panels[token] = (panel, [now])
        return token

    def get(self, token: str) -> Panel | None:
        with self._lock:
            entry = self._panels.get(token)
            if entry is None:
                return None
            entry[1][0] = time.monotonic()
            return entry[0]

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._panels.pop(token or "", None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._panels)


@per_process
def default_feeds() -> Feeds:
    """The server's one registry, made on first use."""
    return Feeds()


def served() -> bool:
    """True where app.py's server has mounted the feed's route."""
    return bool(_served)


def address(token: str) -> str | None:
    """Where a page's browser asks for its panel's news; None where this server does not serve the feed."""
    if not served():
        return None
    from streamlit import config

    base = config.get_option("server.baseUrlPath").strip("/")
    return f"{'/' + base if base else ''}{PATH.format(token=token)}"


async def _answer(request):
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    headers = {"Cache-Control": "no-store"}
    panel = default_feeds().get(request.path_params["token"])
    if panel is None:  # replaced by the page's next run, or its session is gone: the page asks Streamlit again
        return JSONResponse({"gone": True}, status_code=410, headers=headers)
    try:
        have = parse_have(await request.body())
    except ValueError as e:
        return JSONResponse({"error": str(e)}, status_code=400, headers=headers)
    # Off the event loop: the decision map may wait a moment for the worker's weights
    return JSONResponse(await run_in_threadpool(panel.answer, have), headers=headers)


def routes() -> list:
    """The feed's route, for app.py's st.App (under the server's base path, as Streamlit's own routes are)."""
    from starlette.routing import Route
    from streamlit import config

    base = config.get_option("server.baseUrlPath").strip("/")
    return [Route(f"{'/' + base if base else ''}{PATH}", _answer, methods=["POST"])]


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """While app.py's server runs, pages get a feed address (AppTest and other hosts never start this)."""
    _served[:] = [True]
    try:
        yield
    finally:
        _served.clear()
