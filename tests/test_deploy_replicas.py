"""Two replicas of the app behind nginx, with the affinity rules of the shipped deploy/nginx/playground.conf.

Sixty protocol clients (benchmarks/wsclient.py: the browser's websocket messages, no drawing) load the Train
page through nginx as a browser does and train the spiral MLP. Everything each one does — page, health check,
websocket, upload — reaches the replica its cookie maps to, and a dropped websocket comes back to its session
there; all of them train; stopping one replica loses only the sessions it held: the others keep training, and
a moved browser gets its model back from its link on the surviving replica.
"""
from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlparse

import pytest
import websockets

from playground.spec import encode_link, from_data
from server import ROOT, free_port, serve_app, stop_process

sys.path.append(str(ROOT / "benchmarks"))
from wsclient import Session  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(NGINX is None, reason="no nginx here: install Debian's nginx (apt-get install nginx)")]

SHIPPED = ROOT / "deploy" / "nginx" / "playground.conf"
CLIENTS = 60
XSRF_COOKIE = "_streamlit_xsrf"
# Sessions training at once. Twenty or thirty at once on each replica stall both servers on this shared 2-core
# machine (docs/deploy.md); this test is about where sessions go, so the class trains in waves.
WAVE = 10
NUDGE_AFTER = 10  # seconds before a page that stopped polling is rerun
SAFETY_NET = 300  # seconds; a hung server fails the test instead of hanging it (the assertions count epochs)


# ------------------------------------------------------------------ nginx, configured from the shipped file

def site_config(upstreams: list[str], port: int) -> str:
    """The shipped config with loopback replicas and port, and a header naming the replica that answered."""
    text = SHIPPED.read_text()
    servers = "\n".join(f"    server {u};" for u in upstreams)
    text, n_up = re.subn(r"(upstream playground \{.*?consistent;\n)(?:\s*server [^;]+;\n)+", rf"\g<1>{servers}\n", text,
                         flags=re.S)
    text, n_listen = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", text)
    text, n_header = re.subn(r"(\n\s*)(add_header Set-Cookie)", r"\1add_header X-Replica $upstream_addr always;\1\2", text)
    assert (n_up, n_listen, n_header) == (1, 1, 1), "the shipped nginx config changed shape: update site_config()"
    return text


def main_config(tmp: Path) -> str:
    """nginx in the foreground with every path in `tmp` (no /var, /run or /etc)."""
    # As root, nginx would hand its workers to `nobody`, who cannot enter a root-owned temporary folder
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\n{user}\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log {tmp}/access.log;\n{temp}\n    include {tmp}/site.conf;\n}}\n")


@contextmanager
def serve_nginx(tmp: Path, upstreams: list[str]):
    """Yield nginx's URL; nginx is stopped by its PID on exit."""
    port = free_port()
    (tmp / "site.conf").write_text(site_config(upstreams, port))
    (tmp / "nginx.conf").write_text(main_config(tmp))
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while http(url + "/_stcore/health")[0] != 200:
            assert proc.poll() is None and time.time() < deadline, (tmp / "error.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc)


def http(url: str, cookies: dict[str, str] | None = None, **request) -> tuple[int, dict[str, list[str]]]:
    """Status and headers of one request (any status; 502 when nothing answers)."""
    headers = request.pop("headers", {}) | ({"Cookie": cookie_header(cookies)} if cookies else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers, **request), timeout=SAFETY_NET) as r:
            return r.status, _header_lists(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, _header_lists(e.headers)
    except OSError:
        return 502, {}


def _header_lists(headers) -> dict[str, list[str]]:
    return {k.lower(): headers.get_all(k) for k in headers}


def answered(upstream_addr: str) -> str:
    """The replica that answered: nginx lists each one it tried, the dead ones first."""
    return upstream_addr.split(",")[-1].strip()


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# ------------------------------------------------------------------ a browser, as the server sees it

@dataclass
class Browser(Session):
    """A wsclient session that reaches the app as a browser does: through nginx, with the cookies its page load set."""

    cookies: dict[str, str] = field(default_factory=dict)
    replicas: list[str] = field(default_factory=list)  # who answered each request and websocket (nginx's X-Replica)
    session_id: str = ""

    def fetch(self, path: str, **request) -> int:
        status, headers = http(self.url + path, self.cookies, **request)
        for raw in headers.get("set-cookie", []):
            self.cookies.update({k: m.value for k, m in SimpleCookie(raw).items()})
        self.replicas += [answered(v) for v in headers.get("x-replica", [])]
        return status

    def load(self) -> None:
        """The page and the health check the frontend makes: nginx sets the route cookie, Streamlit the XSRF one."""
        assert self.fetch(f"/{self.page}?{self.query}") == 200 and self.fetch("/_stcore/health") == 200

    def upload(self) -> int:
        """PUT a CSV into this session, as the file uploader does; only the replica holding the session accepts it."""
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="points.csv"\r\n'
                f"Content-Type: text/csv\r\n\r\nx,y,label\n0.1,0.2,0\n\r\n--{boundary}--\r\n").encode()
        return self.fetch(f"/_stcore/upload_file/{self.session_id}/{uuid.uuid4().hex}", method="PUT", data=body,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                   "X-Xsrftoken": self.cookies[XSRF_COOKIE]})

    def _on(self, fm) -> None:
        if fm.WhichOneof("type") == "new_session":
            self.session_id = fm.new_session.initialize.session_id
            if not fm.metadata.run.fragment_ids:  # a whole-page run: the frontend drops every timer, as here
                self._cancel_timers()
        super()._on(fm)

    def _headers(self) -> dict[str, str]:
        return {"Cookie": cookie_header(self.cookies)}  # the live panel's feed goes to this browser's replica

    def _cancel_timers(self) -> None:
        for task in self._timers.values():
            task.cancel()
        self._timers.clear()

    async def open(self, resume: str = "") -> None:
        """Open the websocket through nginx; `resume` asks for that session back, as the frontend does on reconnecting."""
        host = urlparse(self.url).netloc
        # A browser sends no protocol pings, and waits as long as the server takes: on a crowded machine that is long
        protocols = ["streamlit", self.cookies[XSRF_COOKIE]] + ([resume] if resume else [])
        self._ws = await websockets.connect(f"ws://{host}/_stcore/stream", origin=f"http://{host}", max_size=None,
                                           subprotocols=protocols, additional_headers={"Cookie": cookie_header(self.cookies)},
                                           open_timeout=SAFETY_NET, ping_interval=None)
        self.replicas.append(answered(self._ws.response.headers["X-Replica"]))
        self.buttons.clear()
        self.progress_text = ""
        self._reader = asyncio.create_task(self._read())
        self._finished.clear()
        await self._send(self._client_state())
        finished = asyncio.create_task(self._finished.wait())
        await asyncio.wait({finished, self._reader}, timeout=SAFETY_NET, return_when=asyncio.FIRST_COMPLETED)
        finished.cancel()
        assert self._finished.is_set(), (f"the websocket closed ({self._ws.close_code} {self._ws.close_reason})"
                                         if self._reader.done() else f"no page run within {SAFETY_NET} s")

    async def drop(self) -> None:
        """The connection goes (a wifi blip, a replica gone); the timers the server started stop with it."""
        self._cancel_timers()
        await self._ws.close()
        self._reader.cancel()

    @property
    def replica(self) -> str:
        return self.replicas[-1]

    @property
    def connected(self) -> bool:
        return not self._reader.done()

    @property
    def live(self) -> bool:
        """This page keeps updating: its live panel follows its feed (or a fragment's timer runs)."""
        return self.following or bool(self._timers)

    @property
    def epoch(self) -> int:
        """Epochs completed, as the progress line on the page says (0 before the first)."""
        m = re.search(r"epoch (\d+)/", self.progress_text)
        return int(m.group(1)) if m else 0

    def _label(self, key: str) -> str:
        """A button's label, found by its widget key (labels are translated)."""
        return next(label for label, wid in self.buttons.items() if wid.endswith(f"-{key}"))

    async def start(self) -> None:
        self.progress_text = ""  # what follows is the new run's
        await self.click(self._label("btn-start"))

    async def stop(self) -> None:
        await self.click(self._label("btn-stop"))

    async def rerun(self) -> None:
        """Run the page again, as any interaction does."""
        await self._send(self._client_state())


async def each(browsers: list[Browser], act, at_once: int = 10) -> None:
    """`act(b)` for every browser, a few at a time, as a class arrives over a few seconds rather than in one instant."""
    gate = asyncio.Semaphore(at_once)

    async def one(b: Browser) -> None:
        async with gate:
            await act(b)

    await asyncio.gather(*(one(b) for b in browsers))


async def until(what: str, done, nudge=None) -> None:
    """Wait until `done()`; the safety net only turns a hang into a failure.

    `nudge()` names pages whose run trains while the page has stopped polling: now and then such a page is
    rerun, as a student's next click would. (Seen in two of three runs here, one or two pages of 60: a page that shows
    "Running · epoch 0" with no fragment timer left; not yet explained.)
    """
    deadline = time.monotonic() + SAFETY_NET
    nudged = time.monotonic()
    while not done():
        assert time.monotonic() < deadline, f"not within {SAFETY_NET} s: {what}"
        if nudge is not None and time.monotonic() - nudged > NUDGE_AFTER:
            await asyncio.gather(*(b.rerun() for b in nudge()))
            nudged = time.monotonic()
        await asyncio.sleep(0.25)


def stalled(browsers: list[Browser], epochs: int):
    """For until(): the pages short of `epochs` that have stopped polling."""
    return lambda: [b for b in browsers if b.epoch < epochs and not b.live]


# ------------------------------------------------------------------ the scenario

def spiral_query() -> str:
    spec = json.loads((ROOT / "playground" / "examples" / "mlp_spiral.json").read_text())
    spec["training"]["epochs"] = 1000  # far more than any wait below: a run ends when the test presses Stop
    return f"spec={encode_link(from_data(spec))}"


async def arrive(base: str) -> list[Browser]:
    """Sixty browsers load the Train page through nginx and connect; everything each does reaches one replica."""
    browsers = [Browser(base, "train", spiral_query()) for _ in range(CLIENTS)]
    await each(browsers, lambda b: asyncio.to_thread(b.load))
    await each(browsers, lambda b: b.open())
    uploads = await asyncio.gather(*(asyncio.to_thread(b.upload) for b in browsers))
    assert uploads == [204] * CLIENTS, "an upload must reach the replica holding its session"
    return browsers


async def train_in_waves(browsers: list[Browser], epochs: int = 1) -> None:
    """Every session trains `epochs` epochs and stops, WAVE sessions at a time."""
    for i in range(0, len(browsers), WAVE):
        wave = browsers[i:i + WAVE]
        await each(wave, Browser.start)
        await until(f"sessions {i}-{i + len(wave) - 1} train {epochs} epochs", lambda w=wave: all(b.epoch >= epochs for b in w),
                    nudge=stalled(wave, epochs))
        await each(wave, Browser.stop)
        await until("the stopped pages stop updating", lambda w=wave: not any(b.live for b in w))


def per_replica(browsers: list[Browser], n: int) -> list[Browser]:
    """The first `n` browsers on each replica."""
    groups: dict[str, list[Browser]] = {}
    for b in browsers:
        groups.setdefault(b.replica, []).append(b)
    return [b for group in groups.values() for b in group[:n]]


async def blip(browsers: list[Browser]) -> None:
    """Their websockets drop and reconnect through nginx: each comes back to its replica and its session."""
    before = [(b.replica, b.session_id) for b in browsers]

    async def reconnect(b: Browser) -> None:
        await b.drop()
        await b.open(resume=b.session_id)

    await each(browsers, reconnect)
    assert [(b.replica, b.session_id) for b in browsers] == before


async def lose_replica(browsers: list[Browser], name: str, pid: int, survivor: str) -> None:
    """Stop one replica (SIGTERM, as Kubernetes does) while sessions train on the other: only its own are lost."""
    lost = [b for b in browsers if b.replica == name]
    kept = [b for b in browsers if b.replica != name]
    kept_ids = [b.session_id for b in kept]
    wave = kept[:WAVE]
    await each(wave, Browser.start)
    await until("a wave trains on the surviving replica", lambda: all(b.epoch >= 1 for b in wave), nudge=stalled(wave, 1))
    os.kill(pid, signal.SIGTERM)
    await until("the stopped replica's websockets close", lambda: not any(b.connected for b in lost))
    at_stop = [b.epoch for b in wave]
    await until("the wave keeps training", lambda: all(b.epoch >= e + 2 for b, e in zip(wave, at_stop)),
                nudge=lambda: [b for b, e in zip(wave, at_stop) if b.epoch < e + 2 and not b.live])
    assert all(b.connected for b in kept) and [b.session_id for b in kept] == kept_ids
    await each(wave, Browser.stop)

    async def come_back(b: Browser) -> None:  # the frontend reconnects, asking for its old session
        old = b.session_id
        await b.drop()
        await b.open(resume=old)
        assert b.replica == survivor and b.session_id != old, "a moved browser starts a fresh session"

    await each(lost, come_back)
    assert not any(b.progress_text for b in lost)  # nothing trained in the fresh session yet
    moved = lost[:WAVE]  # the model came back with the page's link: Start trains it on the survivor
    await each(moved, Browser.start)
    await until("moved sessions train on the surviving replica", lambda: all(b.epoch >= 1 for b in moved), nudge=stalled(moved, 1))
    await each(moved, Browser.stop)


def test_sixty_sessions_stick_to_two_replicas_and_survive_losing_one(tmp_path):
    secret = uuid.uuid4().hex  # one cookieSecret for all replicas, supplied by the environment as in deploy/
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": secret, "PLAYGROUND_MAX_JOBS": str(CLIENTS)}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        with serve_app(tmp_path / "replica-a.log") as (url_a, pid_a), serve_app(tmp_path / "replica-b.log") as (url_b, _):
            a, b = urlparse(url_a).netloc, urlparse(url_b).netloc
            with serve_nginx(tmp_path, [a, b]) as base:
                run_in_own_loop(_scenario(base, a, pid_a, b))


def run_in_own_loop(coroutine) -> None:
    """Run `coroutine` to its end on a fresh event loop in its own thread.

    Playwright's synchronous API, used by the browser tests earlier in the same pytest process, keeps
    an event loop running in the main thread, where asyncio.run() refuses to start another one.
    """
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:  # handed back to the test's thread
            failure.append(error)

    thread = threading.Thread(target=target, name="replica-scenario")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _scenario(base: str, a: str, pid_a: int, b: str) -> None:
    browsers = await arrive(base)
    try:
        held = {r: sum(x.replica == r for x in browsers) for r in (a, b)}
        assert min(held.values()) >= 5, f"the class should be spread over both replicas: {held}"
        await train_in_waves(browsers)
        await blip(per_replica(browsers, WAVE))  # each reconnection is a whole page run: a sample keeps the test lean
        assert all(len(set(x.replicas)) == 1 for x in browsers), "a browser reached two replicas"
        await lose_replica(browsers, a, pid_a, b)
    finally:
        await each(browsers, Browser.drop, at_once=CLIENTS)
