from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from conversations import hooks
        from conversations.services import notifications

        # The domain's own reaction to its moment: the new assignee's browser notification.
        hooks.conversation_assigned.append(notifications.notify_assigned)
