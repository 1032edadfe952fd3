from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Outreach: notifications, consent, scheduled sending"

    def ready(self) -> None:
        from conversations import hooks
        from outreach.services.consent import apply_consent_keywords

        hooks.messages_created.append(apply_consent_keywords)
