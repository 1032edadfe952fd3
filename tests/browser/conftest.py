"""A live ASGI server (HTTP and websockets) and Debian's Chromium for browser tests.

`live_server_asgi` serves `omnidesk.asgi:application` (static files included) with
uvicorn in a background thread of the test process, so it uses the test database
and the Redis channel layer of the test settings. Tests that use it must commit their
data: request `live_server_asgi` (it pulls in `transactional_db`) and build data in
the test body. Celery tasks run eagerly inside the server thread.

Reusable by every browser test:
    def test_x(live_server_asgi, browser):
        page = new_page(browser)
        login(page, live_server_asgi, "alice")
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "pw"  # tests.factories.UserFactory's default password


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A test module that imports these fixtures re-declares them, which would start a second
# server and a second Playwright in one session (Playwright refuses). Both are shared
# process-wide instead, and stopped when the last user is done.
_shared: dict[str, Any] = {"server": None, "server_users": 0, "browser": None, "browser_users": 0}


@pytest.fixture(scope="session")
def _asgi_server(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:
    if _shared["server"] is None:
        _shared["server"] = _start_server()
    _shared["server_users"] += 1
    try:
        yield _shared["server"][0]
    finally:
        _shared["server_users"] -= 1
        if _shared["server_users"] == 0:
            _live, server, thread = _shared["server"]
            _shared["server"] = None
            server.should_exit = True
            thread.join(timeout=10)
            _close_server_connections(django_db_blocker)


def _start_server() -> tuple[LiveServer, Any, threading.Thread]:
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from omnidesk.asgi import application

    port = _free_port()
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI live server did not start")
        time.sleep(0.02)
    return LiveServer(host="127.0.0.1", port=port), server, thread


def _close_server_connections(django_db_blocker) -> None:
    """End the server threads' idle database sessions so the test database can be dropped."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def live_server_asgi(_asgi_server, transactional_db) -> Iterator[LiveServer]:
    """The running server, for a test whose data is committed (transaction=True)."""
    yield _asgi_server
    _wait_for_server_work_to_end()


def _wait_for_server_work_to_end(timeout: float = 15) -> None:
    """A page closed at the end of a test may leave requests running on the server (a
    fragment it was loading). The test's flush (TRUNCATE) would deadlock with their
    locks, or empty tables under them: wait until no other session of the test database
    is in a query or a transaction."""
    from django.db import connection

    # Quiet for a moment, not just once: a request the closed page sent last can still be
    # connecting (each opens its own connection) when the first check finds nobody.
    deadline = time.monotonic() + timeout
    quiet_checks = 0
    while time.monotonic() < deadline and quiet_checks < 4:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            quiet_checks = quiet_checks + 1 if cursor.fetchone()[0] == 0 else 0
        time.sleep(0.05)


@pytest.fixture(scope="session")
def browser():
    if _shared["browser"] is None:
        _shared["browser"] = _start_browser()
    _shared["browser_users"] += 1
    try:
        yield _shared["browser"][0]
    finally:
        _shared["browser_users"] -= 1
        if _shared["browser_users"] == 0:
            chromium, playwright, previous = _shared["browser"]
            _shared["browser"] = None
            chromium.close()
            playwright.stop()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _start_browser() -> tuple[Any, Any, str | None]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django would then
    # refuse ORM calls made by the test body itself.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
    return chromium, playwright, previous


def new_page(browser, *, width: int = 1366, height: int = 860, **context_options):
    """A page in a fresh context (its own cookies: one agent per context)."""
    context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
    context.set_default_timeout(10_000)
    return context.new_page()


def login(page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/accounts/login/?next=/inbox/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/inbox/**")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def off_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run test setup that publishes realtime events (services, receive_message) in a
    thread of its own: Playwright's sync API keeps an event loop in the test thread,
    where `async_to_sync` refuses to run."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result(timeout=60)
