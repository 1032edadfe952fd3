from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = "Bot"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bot import listeners, personal_data
        from conversations import hooks

        hooks.messages_created.append(listeners.answer_customer_messages)
        hooks.personal_data_exporters.append(personal_data.bot_sessions)
        hooks.personal_data_erased.append(personal_data.erase_bot_transcripts)
