from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The doors: webhooks, the inbound API, email polling, web forms and the live-chat
    widget, and the pipeline that turns what they accept into conversations. No models:
    what it stores (`InboundEvent`) belongs to channels_app."""

    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from conversations import hooks
        from intake.erasure import erase_inbound_payloads

        hooks.personal_data_erased.append(erase_inbound_payloads)
