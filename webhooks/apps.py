from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from conversations import hooks
        from customers import hooks as customer_hooks
        from webhooks import listeners

        hooks.conversations_changed.append(listeners.conversations_changed)
        hooks.conversation_assigned.append(listeners.conversation_assigned)
        hooks.messages_created.append(listeners.messages_created)
        hooks.customers_merged.append(listeners.customers_merged)
        hooks.csat_submitted.append(listeners.csat_submitted)
        hooks.message_delivery_failed.append(listeners.message_delivery_failed)
        customer_hooks.customers_created.append(listeners.customers_created)
        customer_hooks.customer_updated.append(listeners.customer_updated)
