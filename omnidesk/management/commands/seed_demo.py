import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand
from django.utils import timezone

from omnidesk.demo import DEMO_PASSWORD, seed_demo_data


class Command(BaseCommand):
    help = (
        "Load the demo desk: teams, agents, three months of conversations on every "
        "channel, satisfaction answers, SLA policies, routing rules, report data. "
        "Safe to re-run: nothing is added twice."
    )

    def handle(self, *args, **options) -> None:
        with _quiet(options["verbosity"] < 2):
            summary = seed_demo_data()
        days = (timezone.now() - summary.first_at).days if summary.first_at else 0
        state = f"loaded in {summary.seconds:.1f} s" if summary.added else "already loaded"
        self.stdout.write(f"Demo: {summary.conversations} conversations over {days} days, {state}")
        logins = ", ".join(
            f"{login.username} ({login.role}: {login.teams})" for login in summary.logins
        )
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}): {logins}")


@contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Hundreds of messages go through the real services, and their tasks log a line
    each at INFO: keep those off the console unless asked for (-v 2)."""
    if not enabled:
        yield
        return
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)
