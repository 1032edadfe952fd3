from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from omnidesk.scheduler import start_in_process_scheduler


class Command(BaseCommand):
    help = "Serve the ASGI app; without a broker, also run the periodic jobs in-process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            start_in_process_scheduler()
            self.stdout.write("Tasks run in-process; periodic jobs on an in-process scheduler.")
        else:
            self.stdout.write("Tasks go to Redis: run `make worker` (worker and beat) beside this.")
        call_command("runserver", addrport, use_reloader=False)
