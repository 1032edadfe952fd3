from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from conversations import hooks
        from customers import hooks as customer_hooks
        from webhooks import listeners, selectors
        from webhooks.models import WebhookSubscription
        from webhooks.personal_data import erase_delivery_payloads

        # A cache, not a business rule: whichever way a subscription changes (API, admin,
        # the automatic disabling), this process asks again.
        for signal in (post_save, post_delete):
            signal.connect(selectors.forget_subscribed_types, sender=WebhookSubscription)
        hooks.conversations_changed.append(listeners.conversations_changed)
        hooks.conversation_assigned.append(listeners.conversation_assigned)
        hooks.messages_created.append(listeners.messages_created)
        hooks.customers_merged.append(listeners.customers_merged)
        hooks.csat_submitted.append(listeners.csat_submitted)
        hooks.message_delivery_failed.append(listeners.message_delivery_failed)
        hooks.personal_data_erased.append(erase_delivery_payloads)
        customer_hooks.customers_created.append(listeners.customers_created)
        customer_hooks.customer_updated.append(listeners.customer_updated)
