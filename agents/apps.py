from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Teams and agents"

    def ready(self) -> None:
        from agents import access_signals

        access_signals.connect()
