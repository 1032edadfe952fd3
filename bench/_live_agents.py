"""The agents of `bench/live.py`: websocket clients that do what an agent's browser does
with `templates/conversations/inbox.html` and `static/js/inbox.js`, run in a child
process of the benchmark (no Django here: only HTTP and websockets).

Protocol 1 (today's; the socket's `hello` has no "protocol"): every `message.*` or
`conversation.*` event schedules at most one refresh per second of the list fragment and
the counts (the `#filters` form's `refresh`, `refresh-counts` on the body), and, when it is
about the open conversation, a timeline refetch (at most every 500 ms) plus the header
for `conversation.created`/`conversation.updated`. Requests are issued per element as
htmx does without `hx-sync`: one in flight, the last one queued (the timeline and the
header, sent with `htmx.ajax` and no source, share the body's slot).

Protocol 2 (`hello` carries "protocol": 2, "teams", "endpoints", "seqs"): a
`conversation.row` event is applied locally (the row inserted, moved or removed in the
agent's current view, the counts moved from `before`/`after`), deduplicated by
(conversation_id, version); a `message.created` for the open conversation carrying "html"
is appended without a fetch. The list and counts are refetched only on a sequence gap
or a reconnect (a gap in the open conversation's group refetches its timeline); the open
conversation's header when its row event says `state_changed`.

Timestamps are `time.monotonic()`, the same clock in every process of the machine, so
the benchmark compares them with the moment it sent each POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import resource
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

LIST_REFRESH_S = 1.0  # inbox.js LIST_REFRESH_MS
LATE_EVENT_S = 1.5  # inbox.js LATE_EVENT_MS
CONVERSATION_REFRESH_S = 0.5  # inbox.js scheduleConversationRefresh
VIEWING_EVERY_S = 20.0  # inbox.js VIEWING_EVERY_MS
PAGE_SIZE = 25  # conversations.selectors.inbox.INBOX_PAGE_SIZE
# Closes the htmx ws extension retries by itself; any other close reloads the page.
RETRIED_BY_EXTENSION = {1006, 1011, 1012, 1013}
PRESENCE_TYPES = {"conversation.typing", "conversation.viewing", "conversation.left"}
LIVE_TYPE = re.compile(r"^(message|conversation)\.")
ROW = re.compile(r'<li class="row[^"]*"[^>]*data-conversation-id="(\d+)".*?</li>', re.S)
LIST = re.compile(r'<ul id="conversation-list"[^>]*>(.*?)</ul>', re.S)
COUNT = re.compile(r'id="count-(\w+)"[^>]*>\s*(\d*)\s*<')
CSRF = re.compile(r"csrftoken=([^;]+)")
REQUEST_TIMEOUT_S = 120  # a browser's XHR waits longer; this only frees the bench
PAGE_ATTEMPTS = 5


@dataclass
class AgentSpec:
    id: int
    session: str
    view: str  # the tab the agent sits on: "teams" for agents, "all" for supervisors
    watch: int | None  # the conversation the agent keeps open
    supervisor: bool


@dataclass
class Record:
    """What one agent saw since the benchmark's last `mark`."""

    events: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    tokens: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    failed_requests: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    gaps: int = 0
    resyncs: int = 0
    reconnects: int = 0
    reloads: int = 0
    unapplied: int = 0  # protocol 2: events the client could not apply without a fetch


class Lane:
    """An element's requests as htmx issues them without hx-sync: one in flight; while it
    runs, a new request replaces the queued one ("queue last")."""

    def __init__(self) -> None:
        self.busy = False
        self.queued: Callable[[], Awaitable[None]] | None = None
        self.task: asyncio.Task | None = None

    def submit(self, request: Callable[[], Awaitable[None]]) -> None:
        if self.busy:
            self.queued = request
            return
        self.busy = True
        self.task = asyncio.get_running_loop().create_task(self._run(request))

    async def _run(self, request: Callable[[], Awaitable[None]]) -> None:
        try:
            while request is not None:
                with contextlib.suppress(Exception):
                    await request()
                request, self.queued = self.queued, None
        finally:
            self.busy = False


class Agent:
    def __init__(self, spec: AgentSpec, base: str, token: re.Pattern, http: Any) -> None:
        self.spec = spec
        self.base = base
        self.token = token
        self.http = http  # aiohttp, imported by the process
        self.record = Record()
        self.session: Any = None
        self.socket: Any = None
        self.csrf = ""
        self.closing = False
        self.protocol: int | None = None
        self.greeted = False
        self.seqs: dict[str, int] = {}
        self.missing: dict[str, dict[int, float]] = {}  # group -> skipped seq -> deadline
        self.watched: int | None = None
        self.list_timer: asyncio.TimerHandle | None = None
        self.last_list_refresh = float("-inf")
        self.conversation_timer: asyncio.TimerHandle | None = None
        self.conversation_needs_header = False
        self.last_conversation_refresh = float("-inf")
        self.lanes = {"filters": Lane(), "counts": Lane(), "body": Lane()}
        self.inflight = 0
        self.last_event_at = 0.0
        self.tasks: list[asyncio.Task] = []
        self.connected = asyncio.Event()
        # Protocol 2: the current view (conversation id, sort key or None when fetched,
        # row html), newest first, the last version applied per conversation, counts.
        self.teams: set[int] = set()
        self.endpoints: set[int] = set()
        self.rows: list[tuple[int, str | None, str]] = []
        self.versions: dict[int, Any] = {}
        self.counted: dict[int, set[Any]] = {}
        self.rowless: dict[int, Any] = {}
        self.counts: dict[str, int] = {}

    # --- HTTP --------------------------------------------------------------------------

    @property
    def page_url(self) -> str:
        if self.spec.watch:
            return f"/inbox/c/{self.spec.watch}/?view={self.spec.view}&status=open"
        return f"/inbox/?view={self.spec.view}&status=open"

    def _headers(self, htmx: dict[str, str] | None = None) -> dict[str, str]:
        cookie = f"sessionid={self.spec.session}"
        if self.csrf:
            cookie += f"; csrftoken={self.csrf}"
        headers = {"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept": "*/*"}
        if htmx is not None:
            headers |= {
                "HX-Request": "true",
                "HX-Current-URL": f"https://127.0.0.1{self.page_url}",
                "X-CSRFToken": self.csrf,
                **htmx,
            }
        return headers

    async def _get(self, kind: str, path: str, htmx: dict[str, str] | None) -> str | None:
        self.record.requests += 1
        self.record.kinds[kind] += 1
        self.inflight += 1
        try:
            async with self.session.get(self.base + path, headers=self._headers(htmx)) as response:
                body = await response.text()
                if response.status != 200:
                    self.record.failed_requests += 1
                    return None
                for value in response.headers.getall("Set-Cookie", []):
                    match = CSRF.search(value)
                    if match:
                        self.csrf = match.group(1)
                return body
        except Exception:
            self.record.failed_requests += 1
            return None
        finally:
            self.inflight -= 1

    def _filters_query(self) -> str:
        # What the #filters form serialises (empty inputs included), in its field order.
        return f"q=&view={self.spec.view}&status=open&channel=&tag=&open={self.spec.watch or ''}"

    async def fetch_list(self) -> None:
        body = await self._get(
            "list",
            f"/inbox/list/?{self._filters_query()}",
            {"HX-Trigger": "filters", "HX-Target": "conversation-list"},
        )
        if body is not None:
            self._list_shown(body, time.monotonic())

    async def fetch_counts(self) -> None:
        body = await self._get(
            "counts",
            f"/inbox/counts/?{self._filters_query()}",
            {"HX-Trigger": "counts-loader"},
        )
        if body is not None:
            self.counts |= {key: int(value or 0) for key, value in COUNT.findall(body)}

    async def fetch_timeline(self) -> None:
        if self.spec.watch:
            await self._get(
                "timeline",
                f"/inbox/c/{self.spec.watch}/timeline/",
                {"HX-Target": "timeline-wrap"},
            )

    async def fetch_header(self) -> None:
        if self.spec.watch:
            await self._get(
                "header",
                f"/inbox/c/{self.spec.watch}/header/",
                {"HX-Target": "conversation-header"},
            )

    async def load_page(self) -> bool:
        """The inbox page with the conversation open, then what it loads by itself (the
        counts, hx-trigger="load")."""
        body = await self._get("page", self.page_url, None)
        if body is None:
            return False
        listed = LIST.search(body)
        self._list_shown(listed.group(1) if listed else "", time.monotonic())
        self.lanes["counts"].submit(self.fetch_counts)
        return True

    def _list_shown(self, fragment: str, at: float) -> None:
        """A list fragment replaced the agent's list (#conversation-list innerHTML)."""
        self._saw(fragment, at)
        self.rows = [
            (int(match.group(1)), None, match.group(0)) for match in ROW.finditer(fragment)
        ][:PAGE_SIZE]

    def _saw(self, html: str, at: float) -> None:
        for token in self.token.findall(html):
            self.record.tokens.setdefault(token, at)

    # --- The socket --------------------------------------------------------------------

    async def start(self, session: Any) -> None:
        self.session = session
        for attempt in range(PAGE_ATTEMPTS):  # an agent reloads a page that failed
            if await self.load_page():
                break
            await asyncio.sleep(1 + attempt + random.random())
        else:
            raise RuntimeError(f"agent {self.spec.id}: the inbox page did not load")
        self.tasks.append(asyncio.get_running_loop().create_task(self._socket_loop()))
        self.tasks.append(asyncio.get_running_loop().create_task(self._viewing_heartbeat()))
        await asyncio.wait_for(self.connected.wait(), timeout=120)

    async def stop(self) -> None:
        self.closing = True
        for timer in (self.list_timer, self.conversation_timer):
            if timer:
                timer.cancel()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        for task in self.tasks:
            task.cancel()
        for lane in self.lanes.values():
            if lane.task:
                lane.task.cancel()
        with contextlib.suppress(Exception):
            await self.session.close()

    async def _socket_loop(self) -> None:
        retry = 0
        ws_url = self.base.replace("http://", "ws://") + "/ws/inbox/"
        while not self.closing:
            try:
                socket = await self.session.ws_connect(
                    ws_url,
                    headers={"Cookie": self._headers()["Cookie"], "Origin": self.base},
                    autoping=True,
                    heartbeat=None,
                    max_msg_size=0,
                    timeout=self.http.ClientWSTimeout(ws_receive=None, ws_close=10),
                )
            except Exception:
                retry += 1
                self.record.reconnects += 1
                await asyncio.sleep(_backoff(retry))
                continue
            retry = 0
            self.socket, self.watched = socket, None
            async for message in socket:
                if message.type == self.http.WSMsgType.TEXT:
                    try:
                        data = json.loads(message.data)
                    except ValueError:
                        continue
                    self.handle(data, time.monotonic())
                elif message.type in (self.http.WSMsgType.CLOSE, self.http.WSMsgType.ERROR):
                    break
            code = socket.close_code or 1006
            self.socket, self.watched = None, None
            if self.closing:
                return
            if code in RETRIED_BY_EXTENSION:
                self.record.reconnects += 1
                retry += 1
                await asyncio.sleep(_backoff(retry))
            else:
                # inbox.js reloads the page (1.5-3 s later): a fresh page, a fresh socket.
                self.record.reloads += 1
                await asyncio.sleep(1.5 + random.random() * 1.5)
                self.greeted = False
                await self.load_page()

    def send(self, payload: dict[str, Any]) -> None:
        if self.socket is not None and not self.socket.closed:
            asyncio.get_running_loop().create_task(self._send(payload))

    async def _send(self, payload: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.socket.send_str(json.dumps(payload))

    async def _viewing_heartbeat(self) -> None:
        await asyncio.sleep(random.random() * VIEWING_EVERY_S)  # pages load at random times
        while not self.closing:
            if self.watched:
                self.send({"action": "viewing", "conversation_id": self.watched})
            await asyncio.sleep(VIEWING_EVERY_S)

    def watch_open_conversation(self) -> None:
        if self.socket is None:
            return
        if self.spec.watch and self.spec.watch != self.watched:
            self.watched = self.spec.watch
            self.send({"action": "watch", "conversation_id": self.spec.watch})

    # --- Events ------------------------------------------------------------------------

    def handle(self, data: dict[str, Any], at: float) -> None:
        kind = data.get("type") or ""
        if kind == "hello":
            reconnect = self.greeted
            self.protocol = 2 if data.get("protocol") == 2 else 1
            self.seqs = dict(data.get("seqs") or {})
            self.missing = {}
            self.greeted = True
            if self.protocol == 2:
                self.teams = set(data.get("teams") or [])
                self.endpoints = set(data.get("endpoints") or [])
            self.watch_open_conversation()
            self.connected.set()
            if reconnect:  # whatever happened while disconnected: catch up
                self.resync(None)
            return
        if kind == "watching":
            self.seqs.update(data.get("seqs") or {})
            return
        if kind == "error" or kind in PRESENCE_TYPES:
            return
        conversation_id = data.get("conversation_id")
        live = bool(LIVE_TYPE.match(kind))
        if live:
            # Only these say the desk is still busy (colleagues' heartbeats never stop).
            self.last_event_at = at
            if conversation_id is not None:
                self.record.events[conversation_id].append(at)
        group, seq = data.get("group"), data.get("seq")
        if group and isinstance(seq, int) and self.protocol == 2:
            # inbox.js: a skipped number has LATE_EVENT_S to arrive (two server processes
            # may send out of order) before it counts as lost and the view is refetched.
            if not self.in_sequence(group, seq):
                return
        elif group and isinstance(seq, int):
            last = self.seqs.get(group)
            if isinstance(last, int) and seq > last + 1:
                # Channels dropped something for us: refetch what is on screen.
                self.record.gaps += 1
                self.seqs[group] = seq
                self.resync(group)
                return
            elif isinstance(last, int) and seq <= last:
                return  # a duplicate of a seen event
            else:
                self.seqs[group] = seq
        if not live:
            return
        if self.protocol == 2:
            self.apply(data, at)
            return
        self.schedule_list_refresh()
        if conversation_id is not None and conversation_id == self.spec.watch:
            self.schedule_conversation_refresh(
                kind in ("conversation.updated", "conversation.created")
            )

    def in_sequence(self, group: str, seq: int) -> bool:
        last = self.seqs.get(group)
        missing = self.missing.setdefault(group, {})
        if not isinstance(last, int):
            self.seqs[group] = seq
            return True
        if seq <= last:
            return missing.pop(seq, None) is not None  # else a duplicate
        deadline = time.monotonic() + LATE_EVENT_S
        for skipped in range(last + 1, min(seq, last + 200)):
            missing[skipped] = deadline
        self.seqs[group] = seq
        if seq - last > 200:
            self.lost(group)
        elif seq > last + 1:
            asyncio.get_running_loop().call_later(LATE_EVENT_S + 0.05, self.check_missing)
        return True

    def check_missing(self) -> None:
        now = time.monotonic()
        for group, missing in list(self.missing.items()):
            if any(deadline <= now for deadline in missing.values()):
                self.lost(group)

    def lost(self, group: str) -> None:
        self.missing[group] = {}
        self.record.gaps += 1
        self.resync(group)

    def resync(self, group: str | None) -> None:
        self.record.resyncs += 1
        if self.protocol == 2 and group and group.startswith("inbox.conversation."):
            self.schedule_conversation_refresh(False)
            return
        self.schedule_list_refresh()
        if self.spec.watch and (self.protocol != 2 or group is None):
            self.schedule_conversation_refresh(True)

    def schedule_list_refresh(self) -> None:
        if self.list_timer is not None:
            return
        wait = max(0.0, self.last_list_refresh + LIST_REFRESH_S - time.monotonic())
        self.list_timer = asyncio.get_running_loop().call_later(wait, self._refresh_list)

    def _refresh_list(self) -> None:
        self.list_timer = None
        self.last_list_refresh = time.monotonic()
        self.lanes["filters"].submit(self.fetch_list)
        self.lanes["counts"].submit(self.fetch_counts)

    def schedule_conversation_refresh(self, with_header: bool) -> None:
        self.conversation_needs_header = self.conversation_needs_header or with_header
        if self.conversation_timer is not None:
            return
        wait = max(0.0, self.last_conversation_refresh + CONVERSATION_REFRESH_S - time.monotonic())
        self.conversation_timer = asyncio.get_running_loop().call_later(
            wait, self._refresh_conversation
        )

    def _refresh_conversation(self) -> None:
        self.conversation_timer = None
        self.last_conversation_refresh = time.monotonic()
        if not self.spec.watch:
            return
        self.lanes["body"].submit(self.fetch_timeline)
        if self.conversation_needs_header:
            self.conversation_needs_header = False
            self.lanes["body"].submit(self.fetch_header)

    # --- Protocol 2: applying rows -------------------------------------------------------

    def views(self) -> list[str]:
        return ["mine", "unassigned", "teams", *(["all"] if self.spec.supervisor else [])]

    def in_view(self, view: str, facts: dict[str, Any] | None) -> bool:
        if not facts or facts.get("status") != "open":
            return False
        assignee = facts.get("assignee_id")
        mine = assignee is not None and assignee == self.spec.id
        teams = facts.get("team_id") in self.teams or facts.get("endpoint_id") in self.endpoints
        if view == "mine":
            return mine
        if view == "unassigned":
            return assignee is None and (self.spec.supervisor or teams)
        if view == "teams":
            return teams
        return self.spec.supervisor

    def apply(self, data: dict[str, Any], at: float) -> None:
        kind = data["type"]
        conversation_id = data.get("conversation_id")
        if kind == "conversation.row":
            version = data.get("version")
            before, after, row = data.get("before"), data.get("after"), data.get("row")
            counted = self.counted.setdefault(conversation_id, set())
            if version not in counted:
                # inbox.js: each version's move counts once, even one arriving late.
                counted.add(version)
                for view in self.views():
                    moved = int(self.in_view(view, after)) - int(self.in_view(view, before))
                    self.counts[view] = self.counts.get(view, 0) + moved
            elif not (self.rowless.get(conversation_id) == version and row):
                return  # the same change through another of the agent's groups
            seen = self.versions.get(conversation_id)
            if version is not None and seen is not None and version < seen:
                return  # older than what is shown: counted, not placed
            self.versions[conversation_id] = version
            self.rowless[conversation_id] = None if row else version
            self.rows = [entry for entry in self.rows if entry[0] != conversation_id]
            if row and row.get("html") and self.in_view(self.spec.view, after):
                sort = str(row.get("sort") or row.get("last_message_at") or "")
                index = next(
                    (
                        i
                        for i, (_, other, _html) in enumerate(self.rows)
                        if other is None or other < sort
                    ),
                    len(self.rows),
                )
                if index < PAGE_SIZE:
                    self.rows.insert(index, (conversation_id, sort, row["html"]))
                    del self.rows[PAGE_SIZE:]
                    self._saw(row["html"], at)
            if conversation_id == self.spec.watch and data.get("state_changed"):
                # More than its messages changed: the open pane re-reads its header.
                self.lanes["body"].submit(self.fetch_header)
            return
        if (
            kind == "message.created"
            and conversation_id == self.spec.watch
            and not data.get("html")
        ):
            # Not what protocol 2 promises: the page would have to fetch the timeline.
            self.record.unapplied += 1
            self.schedule_conversation_refresh(False)

    # --- For the benchmark ---------------------------------------------------------------

    def busy(self) -> bool:
        return (
            self.inflight > 0
            or self.list_timer is not None
            or self.conversation_timer is not None
            or any(lane.busy for lane in self.lanes.values())
        )


def _backoff(retry: int) -> float:
    """The ws extension's full-jitter exponential backoff (capped)."""
    return random.random() * min(30.0, 0.5 * 2 ** min(retry, 6))


# --- The process -------------------------------------------------------------------------


def agent_process(conn: Any, base: str, token_pattern: str) -> None:
    """Runs agents for the benchmark, commanded over `conn` (a multiprocessing pipe):
    ("connect", [AgentSpec dicts]), ("disconnect", [ids]), ("mark", None): forget what was
    recorded, ("status", None), ("collect", None), ("stop", None)."""
    # Ctrl-C reaches the whole process group: the benchmark stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(conn, base, re.compile(token_pattern)))


async def _serve(conn: Any, base: str, token: re.Pattern) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    agents: dict[int, Agent] = {}

    async def connect(specs: list[dict[str, Any]]) -> dict[str, Any]:
        gate = asyncio.Semaphore(8)  # pages load a few at a time, as agents arrive
        failures: list[str] = []

        async def one(spec: AgentSpec) -> None:
            async with gate:
                session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=6),  # a browser's per-host limit
                    cookie_jar=aiohttp.DummyCookieJar(),
                    timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                )
                agent = Agent(spec, base, token, aiohttp)
                try:
                    await agent.start(session)
                except Exception as exc:
                    failures.append(f"{spec.id}: {exc!r}")
                    await agent.stop()
                    return
                agents[spec.id] = agent

        await asyncio.gather(*(one(AgentSpec(**spec)) for spec in specs))
        return {"connected": len(agents), "failures": failures}

    async def disconnect(ids: list[int]) -> dict[str, Any]:
        await asyncio.gather(*(agents.pop(i).stop() for i in ids if i in agents))
        return {"connected": len(agents)}

    def status() -> dict[str, Any]:
        return {
            "last_event_at": max((a.last_event_at for a in agents.values()), default=0.0),
            "busy": sum(1 for a in agents.values() if a.busy()),
            "protocols": sorted({a.protocol or 0 for a in agents.values()}),
            "requests": sum(a.record.requests for a in agents.values()),
        }

    def collect() -> dict[str, Any]:
        out = {}
        for agent_id, agent in agents.items():
            record = agent.record
            out[agent_id] = {
                "events": dict(record.events),
                "tokens": record.tokens,
                "requests": record.requests,
                "failed_requests": record.failed_requests,
                "kinds": dict(record.kinds),
                "gaps": record.gaps,
                "resyncs": record.resyncs,
                "reconnects": record.reconnects,
                "reloads": record.reloads,
                "unapplied": record.unapplied,
                "protocol": agent.protocol,
            }
        return out

    while True:
        command, argument = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            result: Any = await connect(argument)
        elif command == "disconnect":
            result = await disconnect(argument)
        elif command == "mark":
            for agent in agents.values():
                agent.record = Record()
            result = True
        elif command == "status":
            result = status()
        elif command == "collect":
            result = collect()
        elif command == "stop":
            await disconnect(list(agents))
            conn.send(True)
            return
        else:
            result = None
        conn.send(result)
