from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from conversations import hooks
        from reporting import listeners

        hooks.conversation_resolved.append(listeners.send_survey)
        hooks.inbound_claimers.append(listeners.SurveyAnswerClaimer())
