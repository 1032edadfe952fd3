import io
import signal
import socket
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from omnidesk import embedded_database
from omnidesk.scheduler import start_in_process_scheduler


class Command(BaseCommand):
    help = (
        "Serve the ASGI app; without a broker, also run the periodic jobs in-process. "
        "`make run` is `rundesk --migrate --demo`: one line per stage, then the desk."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--migrate", action="store_true", help="Apply migrations first.")
        parser.add_argument(
            "--demo", action="store_true", help="Load the demo desk first (seed_demo)."
        )

    def handle(self, *args, addrport: str, migrate: bool, demo: bool, **options) -> None:
        # The embedded database is stopped at exit (atexit), which SIGTERM would skip; the
        # server installs its own handlers once it runs.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        host, _, port = addrport.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        _check_port_free(host, int(port))
        self.stdout.write(_database_line())
        if migrate:
            self.stdout.write(_migrate())
        if demo:
            call_command("seed_demo")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            start_in_process_scheduler()
        else:
            self.stdout.write("Tasks go to Redis: run `make worker` (worker and beat) beside this.")
        url = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(f"Serving on {url}/")
            + f"  inbox {url}/inbox/  reports {url}/reports/  API {url}/api/docs/"
            + "  (Ctrl-C stops it)"
        )
        # runserver's banner and system-check lines would bury the ones above.
        call_command("runserver", addrport, use_reloader=False, stdout=io.StringIO())


def _check_port_free(host: str, port: int) -> None:
    """Fail before the stages rather than after them: the server would only log it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({exc.strerror}); another desk may be"
                " running there. Choose another address, e.g. make run ADDRPORT=127.0.0.1:8001"
            ) from exc


def _exit_cleanly(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _database_line() -> str:
    embedded = embedded_database.current()
    if embedded is not None:
        how = "started" if embedded.started else "already running, joined"
        return (
            f"Database: embedded PostgreSQL {embedded.server_version} in {embedded.pgdata} ({how})"
        )
    db = settings.DATABASES["default"]
    where = db.get("HOST") or "local socket"
    return f"Database: PostgreSQL {db['NAME']} at {where}"


def _migrate() -> str:
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if not pending:
        return "Migrations: up to date"
    call_command("migrate", interactive=False, verbosity=0)
    return f"Migrations: {pending} applied"
