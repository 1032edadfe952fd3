from django.core.management.base import BaseCommand

from omnidesk.demo import DEMO_PASSWORD, seed_demo_data


class Command(BaseCommand):
    help = (
        "Load the demo desk (agents, teams, customers, cross-channel conversations). "
        "Safe to re-run."
    )

    def handle(self, *args, **options) -> None:
        logins = seed_demo_data()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        for login in logins:
            self.stdout.write(
                f"  {login.username:<11} / {DEMO_PASSWORD}   ({login.role}; teams: {login.teams})"
            )
