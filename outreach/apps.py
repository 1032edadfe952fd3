from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Outreach: notifications, consent, scheduled sending"

    def ready(self) -> None:
        from conversations import hooks
        from outreach import personal_data
        from outreach.services.consent import apply_consent_keywords

        hooks.messages_created.append(apply_consent_keywords)
        hooks.customer_data_exporters.append(personal_data.customer_outreach)
        hooks.personal_data_exporters.append(personal_data.scheduled_replies)
        hooks.personal_data_erased.append(personal_data.erase_outreach_texts)
