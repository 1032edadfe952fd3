from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log: who did what, when, from where. It listens; it never changes what
    it records."""

    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from audit import listeners

        listeners.subscribe()
