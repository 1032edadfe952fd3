from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from agents import hooks as agent_hooks
        from agents.models import BusinessHours
        from conversations import hooks as conversation_hooks
        from routing import listeners
        from routing.models import SlaPolicy

        conversation_hooks.conversations_changed.append(listeners.route_and_time_sla)
        agent_hooks.agent_came_online.append(listeners.offer_queues_to_agent)
        # Whatever path edits them (the admin, the API, a shell), every process's kept
        # policies follow.
        for model in (SlaPolicy, BusinessHours):
            post_save.connect(listeners.sla_configuration_changed, sender=model)
            post_delete.connect(listeners.sla_configuration_changed, sender=model)
