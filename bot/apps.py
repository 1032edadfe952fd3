from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = "Bot"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bot import listeners
        from conversations import hooks

        hooks.messages_created.append(listeners.answer_customer_messages)
