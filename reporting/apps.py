from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from conversations import hooks
        from reporting import listeners, personal_data

        hooks.conversation_resolved.append(listeners.send_survey)
        hooks.inbound_claimers.append(listeners.SurveyAnswerClaimer())
        hooks.personal_data_exporters.append(personal_data.csat_answers)
        hooks.personal_data_erased.append(personal_data.erase_csat_comments)
