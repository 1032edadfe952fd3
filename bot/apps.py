from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = "Bot"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bot import holds, listeners, personal_data
        from conversations import hooks
        from routing import hooks as routing_hooks

        hooks.messages_created.append(listeners.answer_customer_messages)
        routing_hooks.assignment_holds.append(holds.held_by_the_bot)
        hooks.personal_data_exporters.append(personal_data.bot_sessions)
        hooks.personal_data_erased.append(personal_data.erase_bot_transcripts)
