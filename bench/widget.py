"""Widget benchmark: N concurrent visitors chatting with an agent, against a bare Channels
echo consumer, through the same uvicorn server and Redis channel layer in the same run.

    .venv/bin/python bench/widget.py                  # 500 visitors, 4 exchanges each
    .venv/bin/python bench/widget.py --clients 100 --exchanges 2
    .venv/bin/python bench/widget.py --rate 70        # visitors paced to 70 exchanges/s

Two ways to load it. Closed loop (the default): every visitor sends its next message as
soon as the answer arrives, so the rate is the most the desk sustains and each visitor's
wait is (visitors / rate): with 500 visitors a round trip under 2 s would need 250
exchanges/s. Paced (`--rate R`): visitors take turns so that together they start R
exchanges a second (a person reads and types between messages), each still waiting for
its answer before the next; the round trips then say how fast the desk answers at that
load. Both runs are reported against the echo baseline at the same load.

One exchange of a visitor: send a message over `/ws/widget/<key>/`, get the ack (sent
after the message is committed and processed: customer, conversation, routing), then the
agent side answers with `send_reply` (the service the inbox and the REST API call) and the
reply travels adapter -> Redis channel layer -> WidgetConsumer -> the visitor's socket.
The round trip is from the visitor's send to the agent's reply arriving.

Each run also prints the CPU milliseconds one exchange cost each part: the web server,
the worker, the agents' processes, the visitors (this process), PostgreSQL and Redis
(every process of those servers on the machine, so run it on a quiet one).

The baseline, against the same server: a consumer that acks each frame at once and sends
the "reply" to itself through the same Redis channel layer. The ratio of the two is the
cost of our logic (database writes, identity, routing, delivery).

The desk runs as deployed on one machine: uvicorn in one child process and a Celery
worker (`--worker-concurrency` processes) in another, which drains the stored messages
and delivers the replies; the visitors run in this process and the agents in
`--agent-processes` processes. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_widget")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("OMNIDESK_REDIS_PREFIX", "bench-widget")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
# A real worker takes the tasks, as in production (not run inside the web process).
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
# Production settings, as the desk is deployed (a bench-only secret).
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-widget-only-not-a-production-secret-" + "x" * 24)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ["OMNIDESK_WIDGET_CONNECTS_PER_MINUTE_PER_IP"] = "1000000"
os.environ.setdefault("LOG_LEVEL", "WARNING")
ORIGIN = "http://bench.example"
TIMEOUT = 600  # seconds a client waits for one frame before it counts as failed


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


# --- the server (child process) ---------------------------------------------------------------


def serve(port: int) -> None:
    raise_file_limit()
    import django

    django.setup()
    import uvicorn
    from channels.generic.websocket import AsyncWebsocketConsumer

    from omnidesk.asgi import application

    class EchoConsumer(AsyncWebsocketConsumer):
        """Acks each frame, then 'replies' through the channel layer, like a delivery."""

        async def receive(self, text_data=None, bytes_data=None):
            frame = json.loads(text_data)
            await self.send(json.dumps({"type": "ack", "client_id": frame["client_id"]}))
            await self.channel_layer.send(
                self.channel_name, {"type": "echo.reply", "client_id": frame["client_id"]}
            )

        async def echo_reply(self, message):
            await self.send(json.dumps({"type": "reply", "client_id": message["client_id"]}))

    echo = EchoConsumer.as_asgi()

    async def app(scope, receive, send):
        if scope["type"] == "websocket" and scope["path"] == "/ws/echo/":
            return await echo(scope, receive, send)
        return await application(scope, receive, send)

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
        backlog=4096,
    )


# --- the clients (this process) ---------------------------------------------------------------


class Run:
    def __init__(self) -> None:
        self.round_trips: list[float] = []
        self.errors = 0
        self.ready = 0


async def connect(url: str):
    import websockets

    for attempt in range(20):
        try:
            return await websockets.connect(
                url, origin=ORIGIN, open_timeout=30, max_queue=None, ping_interval=None
            )
        except (TimeoutError, OSError, websockets.InvalidStatus):
            await asyncio.sleep(0.05 * (attempt + 1))
    raise RuntimeError(f"cannot connect to {url}")


async def next_of(ws, kind: str, client_id: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=TIMEOUT))
        if frame.get("type") == "error":
            raise RuntimeError(frame)
        if frame.get("type") == kind and (frame.get("client_id") == client_id or kind == "message"):
            return frame


class Pace:
    """When each visitor may start an exchange: at once (closed loop), or at its turn in
    a schedule of `rate` exchanges a second across all visitors."""

    def __init__(self, clients: int, rate: float | None) -> None:
        self.clients = clients
        self.rate = rate
        self.began = 0.0

    async def turn(self, n: int, i: int) -> None:
        if not self.rate:
            return
        due = self.began + (i * self.clients + n) / self.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def echo_client(
    url: str, n: int, exchanges: int, run: Run, start: asyncio.Event, pace: Pace
) -> None:
    ws = await connect(url)
    run.ready += 1
    await start.wait()
    try:
        for i in range(exchanges):
            await pace.turn(n, i)
            client_id = f"e{n}-{i}"
            began = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": "hi"}))
            await next_of(ws, "ack", client_id)
            await next_of(ws, "reply", client_id)
            run.round_trips.append(time.perf_counter() - began)
    except Exception:
        run.errors += 1
    finally:
        await ws.close()


async def widget_client(
    url: str, n: int, exchanges: int, run: Run, start: asyncio.Event, pace: Pace, agent
) -> None:
    try:
        ws = await connect(url)
        await ws.send(json.dumps({"type": "hello", "name": f"Visitor {n}"}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), timeout=TIMEOUT))
        token = welcome["token"]
    except Exception:
        run.errors += 1
        run.ready += 1
        return
    run.ready += 1
    await start.wait()
    try:
        for i in range(exchanges):
            await pace.turn(n, i)
            client_id = f"w{n}-{i}"
            began = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"type": "message", "client_id": client_id, "text": f"Question {i} of {n}"}
                )
            )
            await next_of(ws, "ack", client_id)
            acked = time.perf_counter()
            await asyncio.wrap_future(agent.answer(token, client_id))
            answered = time.perf_counter()
            await next_of(ws, "message", client_id)
            run.round_trips.append(time.perf_counter() - began)
            if os.environ.get("BENCH_DEBUG"):
                print(
                    f"ack {acked - began:.3f} answer {answered - acked:.3f}"
                    f" reply {time.perf_counter() - answered:.3f}"
                )
    except Exception as exc:
        run.errors += 1
        if run.errors <= 3:
            print(f"  visitor {n}: {exc!r}", file=sys.stderr)
    finally:
        await ws.close()


def _agent_process_setup() -> None:
    import django

    django.setup()


def _agent_at_desk(ready: float) -> None:
    """An agent process that has started, connected to the database and waits for work.
    Sleeping until `ready` keeps each warm-up call in a worker of its own."""
    from django.db import connection

    connection.ensure_connection()
    time.sleep(max(0.0, ready - time.time()))


def answer_in_agent_process(endpoint_key: str, agent_id: int, token: str, client_id: str) -> None:
    """The agent answering: what the inbox's reply view does, minus the HTTP request."""
    from django.contrib.auth import get_user_model

    from channels_app.webchat_identity import read_visitor_token
    from conversations.models import Message
    from conversations.services import send_reply

    visitor_id = read_visitor_token(endpoint_key=endpoint_key, token=token)
    # The ack says the message is stored; a drain turns it into the conversation's message
    # moments later. The agent answers what is on their screen: wait for it.
    # A person sees it appear; this process asks the database, less often the longer it
    # waits (every poll is CPU the desk being measured does not get).
    deadline = time.monotonic() + TIMEOUT
    pause = 0.02
    while True:
        message = (
            Message.objects.select_related("conversation")
            .filter(endpoint__key=endpoint_key, provider_message_id=f"{visitor_id}:{client_id}")
            .first()
        )
        if message is not None or time.monotonic() > deadline:
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.32)
    if message is None:
        raise RuntimeError(f"message {client_id} was never processed")
    agent = get_user_model().objects.get(pk=agent_id)
    send_reply(conversation=message.conversation, author=agent, text="Answer")


class AgentSide:
    """Agent replies from worker processes, so the visitors' event loop and the agents do
    not share one interpreter lock."""

    def __init__(self, endpoint, agent, processes: int) -> None:
        self.endpoint_key = endpoint.key
        self.agent_id = agent.pk
        self.pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_agent_process_setup,
        )
        # The agents are at their desks before the first visitor writes: the processes
        # spawn on demand, and otherwise the first second of visitors waits for them to
        # start (a cost of the benchmark, not of the desk).
        ready = time.time() + 0.5
        for warm_up in [self.pool.submit(_agent_at_desk, ready) for _ in range(processes)]:
            warm_up.result(timeout=TIMEOUT)

    def answer(self, token: str, client_id: str):
        return self.pool.submit(
            answer_in_agent_process, self.endpoint_key, self.agent_id, token, client_id
        )


async def measure(
    kind: str, url: str, clients: int, exchanges: int, rate: float | None, agent=None
) -> tuple:
    run = Run()
    start = asyncio.Event()
    pace = Pace(clients, rate)
    if kind == "echo":
        tasks = [echo_client(url, n, exchanges, run, start, pace) for n in range(clients)]
    else:
        tasks = [widget_client(url, n, exchanges, run, start, pace, agent) for n in range(clients)]
    gathered = asyncio.gather(*tasks)
    # Every client connects (and says hello) first: the clock measures the exchanges.
    while run.ready < clients:
        await asyncio.sleep(0.05)
    began = pace.began = time.perf_counter()
    start.set()
    await gathered
    elapsed = time.perf_counter() - began
    return run, elapsed


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = sum(root.cpu_times()[:2])
        for child in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total
    except psutil.Error:
        return 0.0


def named_cpu_seconds(name: str) -> float:
    """CPU time of every process of the machine with this name (the shared PostgreSQL
    and Redis servers: what other work uses of them in the same seconds counts too)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] and process.info["name"].startswith(name):
            with contextlib.suppress(psutil.Error):
                total += sum(process.cpu_times()[:2])
    return total


class CpuMeter:
    """CPU seconds each part of the desk spent between `start` and `stop`."""

    def __init__(self, parts: dict) -> None:
        self.parts = parts  # name -> callable returning cumulative seconds
        self.began: dict[str, float] = {}

    def start(self) -> None:
        self.began = {name: read() for name, read in self.parts.items()}

    def per_exchange_ms(self, exchanges: int) -> dict[str, float]:
        return {
            name: (read() - self.began[name]) * 1000 / max(exchanges, 1)
            for name, read in self.parts.items()
        }


def print_cpu(label: str, per_exchange: dict[str, float]) -> None:
    parts = "  ".join(f"{name} {ms:.1f}" for name, ms in per_exchange.items())
    print(f"  {label} CPU ms per exchange: {parts}  (total {sum(per_exchange.values()):.1f})")


def report(label: str, run: Run, elapsed: float, exchanges_total: int) -> float:
    trips = sorted(run.round_trips)
    rate = len(trips) / elapsed if elapsed else 0.0
    p50 = statistics.median(trips) * 1000 if trips else float("nan")
    p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))] * 1000 if trips else float("nan")
    print(
        f"{label:<22} {rate:>9,.0f} exchanges/s   p50 {p50:>8.1f} ms   p99 {p99:>8.1f} ms"
        f"   ({len(trips):,}/{exchanges_total:,} ok, {run.errors} clients failed)"
    )
    return rate


def setup_data():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from agents.models import AgentProfile, Team
    from channels_app.models import ChannelEndpoint

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    endpoint = ChannelEndpoint.objects.create(
        kind="webchat",
        name="bench chat",
        config={
            "allowed_origins": [ORIGIN],
            "messages_per_minute": 1_000_000,
            "messages_per_minute_per_ip": 1_000_000,
            "csat_enabled": False,
        },
    )
    team = Team.objects.create(name="Bench team")
    team.endpoints.add(endpoint)
    agent = get_user_model().objects.create_user("bench-agent", first_name="Bea")
    AgentProfile.objects.create(user=agent, presence=AgentProfile.Presence.ONLINE)
    team.members.add(agent)
    return endpoint, agent


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(concurrency: int) -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "omnidesk",
            "worker",
            "-Q",
            "inbound,outbound,periodic,default",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
    )
    from omnidesk.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("the benchmark worker exited")
        if app.control.ping(timeout=1):
            return worker
    raise RuntimeError("the benchmark worker did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the benchmark server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--exchanges", type=int, default=4, help="per client")
    parser.add_argument("--agent-processes", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--rate", type=float, help="pace the visitors to this many exchanges/s (default: none)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    raise_file_limit()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    endpoint, agent = setup_data()

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    worker = None
    try:
        worker = start_worker(args.worker_concurrency)
        wait_for_port(port, server)
        base = f"ws://127.0.0.1:{port}"
        total = args.clients * args.exchanges
        load = f"paced to {args.rate:g} exchanges/s" if args.rate else "closed loop"
        print(f"{args.clients} concurrent clients x {args.exchanges} exchanges, {load}, one server")
        meter = CpuMeter(
            {
                "web": lambda: cpu_seconds(server.pid),
                "worker": lambda: cpu_seconds(worker.pid),
                # This process's other children: the agents' pool.
                "agents": lambda: (
                    cpu_seconds(os.getpid())
                    - sum(os.times()[:2])
                    - cpu_seconds(server.pid)
                    - cpu_seconds(worker.pid)
                ),
                "visitors": lambda: sum(os.times()[:2]),
                "postgres": lambda: named_cpu_seconds("postgres"),
                "redis": lambda: named_cpu_seconds("redis-server"),
            }
        )
        meter.start()
        run, elapsed = asyncio.run(
            measure("echo", f"{base}/ws/echo/", args.clients, args.exchanges, args.rate)
        )
        echo_rate = report("bare Channels echo", run, elapsed, total)
        print_cpu("echo", meter.per_exchange_ms(len(run.round_trips)))
        agent_side = AgentSide(endpoint, agent, args.agent_processes)
        meter.start()
        run, elapsed = asyncio.run(
            measure(
                "widget",
                f"{base}/ws/widget/{endpoint.key}/",
                args.clients,
                args.exchanges,
                args.rate,
                agent_side,
            )
        )
        widget_rate = report("omnidesk widget", run, elapsed, total)
        print_cpu("widget", meter.per_exchange_ms(len(run.round_trips)))
        agent_side.pool.shutdown()
        if echo_rate:
            print(f"ratio (widget / echo):  {widget_rate / echo_rate:.3f}")
    finally:
        # uvicorn waits for open sockets to close on SIGTERM; the bench has nothing left
        # to wait for.
        server.kill()
        server.wait(timeout=20)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)


if __name__ == "__main__":
    main()
