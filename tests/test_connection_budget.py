"""A web process's connection budget: a burst of concurrent requests at a real uvicorn
with the production settings is served, and the process never holds more PostgreSQL
connections than its pool allows, nor an unbounded number of Redis connections.

The server runs in a subprocess on the test database (committed data, so
`transaction=True`) and a private Redis key prefix. Its PostgreSQL sessions carry an
`application_name` of their own, so `pg_stat_activity` counts only them; its Redis
sockets are counted from the process's own TCP connections.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from channels_app.models import ChannelEndpoint
from tests.factories import EndpointFactory, make_agent

ROOT = Path(__file__).resolve().parents[1]
# The production default of OMNIDESK_DB_POOL_MAX (omnidesk/settings.py): the test runs
# the settings as a deployment would, without setting it.
POOL_MAX = 10
# Django's pool is the only way the web process reaches PostgreSQL; one more for the
# connection psycopg may be opening while the pool replaces a broken one.
POSTGRES_SLACK = 1
# The cache's shared pool (OMNIDESK_REDIS_CACHE_MAX_CONNECTIONS, default 20), Celery's
# producer pool (broker_pool_limit, 10) and the channel layer's few: bounded, whatever the
# number of requests.
REDIS_BOUND = 20 + 10 + 5
BURST = 200
APPLICATION_NAME = "omnidesk-connection-budget"

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Peaks:
    postgres: int = 0
    redis: int = 0
    samples: int = 0
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_server(tmp_path) -> Iterator[tuple[str, psutil.Process]]:
    """uvicorn serving `omnidesk.asgi:application` with the production settings, as the
    Dockerfile runs it."""
    db = connection.settings_dict
    prefix = f"{settings.REDIS_KEY_PREFIX}-budget"
    port = _free_port()
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="omnidesk.settings",
        DJANGO_DEBUG="0",
        # This process's key: the server reads the credentials and sessions it writes.
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=(
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}?application_name={APPLICATION_NAME}"
        ),
        REDIS_URL=settings.REDIS_URL,
        OMNIDESK_REDIS_PREFIX=prefix,
        # Accepted messages wait in Redis: no worker runs here, the burst is the door.
        CELERY_TASK_ALWAYS_EAGER="0",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path),  # no collected files needed: the burst is all API
        LOG_LEVEL="WARNING",
    )
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "omnidesk.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--proxy-headers",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, tmp_path / "server.log")
        yield url, psutil.Process(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        print((tmp_path / "server.log").read_text()[-5000:])
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        client.close()


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within 60 s:\n{log.read_text()}")


def _postgres_connections(monitor: psycopg.Connection) -> int:
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
        [APPLICATION_NAME],
    ).fetchone()
    return int(row[0])


def _redis_connections(server: psutil.Process) -> int:
    redis_port = redis.connection.parse_url(settings.REDIS_URL).get("port", 6379)
    return sum(
        1
        for conn in server.net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == redis_port and conn.status == psutil.CONN_ESTABLISHED
    )


def _sample_until(stop: threading.Event, server: psutil.Process, peaks: Peaks) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
        application_name="omnidesk-connection-budget-monitor",
    ) as monitor:
        while not stop.is_set():
            try:
                peaks.postgres = max(peaks.postgres, _postgres_connections(monitor))
                peaks.redis = max(peaks.redis, _redis_connections(server))
                peaks.samples += 1
            except psutil.Error as exc:  # the server exited mid-sample: the test fails
                peaks.errors.append(repr(exc))
                return
            stop.wait(0.005)


@dataclass(frozen=True)
class Caller:
    token: str
    session_cookie: str
    endpoint_key: str


def _integration() -> Caller:
    """An admin with an API token and a signed-in session, and an API endpoint."""
    admin = make_agent(username="budget-admin", role="admin")
    admin.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    endpoint = EndpointFactory(kind=ChannelEndpoint.Kind.API, name="Budget integration")
    browser = Client()
    browser.force_login(admin)
    return Caller(
        token=Token.objects.create(user=admin).key,
        session_cookie=browser.cookies[settings.SESSION_COOKIE_NAME].value,
        endpoint_key=endpoint.key,
    )


def _request(url: str, caller: Caller, number: int, start: threading.Barrier) -> int:
    """Half the burst posts inbound messages with the token (the intake door), half
    lists endpoints with the session cookie (the session cache, then the database)."""
    # Behind the proxy the desk is reached over HTTPS (SECURE_SSL_REDIRECT is on).
    headers = {"X-Forwarded-Proto": "https"}
    start.wait(timeout=30)
    if number % 2:
        response = requests.post(
            f"{url}/api/v1/inbound/",
            data=json.dumps(
                {
                    "endpoint": caller.endpoint_key,
                    "id": f"budget-{number}",
                    "from": {"email": f"customer-{number}@example.com"},
                    "text": "Where is my parcel?",
                }
            ),
            headers={
                **headers,
                "Authorization": f"Token {caller.token}",
                "Content-Type": "application/json",
            },
            timeout=60,
        )
    else:
        response = requests.get(
            f"{url}/api/v1/endpoints/",
            headers=headers,
            cookies={settings.SESSION_COOKIE_NAME: caller.session_cookie},
            timeout=60,
        )
    return response.status_code


def test_a_burst_of_requests_stays_within_the_web_process_connection_budget(
    production_server,
):
    url, server = production_server
    caller = _integration()
    peaks = Peaks()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_until, args=(stop, server, peaks), daemon=True)
    sampler.start()
    start = threading.Barrier(BURST)
    try:
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            statuses = list(
                pool.map(lambda n: _request(url, caller, n, start), range(BURST), timeout=120)
            )
    finally:
        stop.set()
        sampler.join(timeout=10)

    assert not peaks.errors, peaks.errors
    assert peaks.samples > 10, "the sampler never saw the burst"
    # Odd numbers posted a new message (202), even ones listed endpoints (200).
    failed = [(n, got) for n, got in enumerate(statuses) if got != (202 if n % 2 else 200)]
    assert not failed, f"{len(failed)} requests failed, e.g. {failed[:5]}"
    assert peaks.postgres <= POOL_MAX + POSTGRES_SLACK, (
        f"the web process held {peaks.postgres} PostgreSQL connections (pool max {POOL_MAX})"
    )
    print(f"peaks for {BURST} requests: {peaks}")
    assert peaks.redis <= REDIS_BOUND, (
        f"the web process held {peaks.redis} Redis connections for {BURST} requests"
    )
