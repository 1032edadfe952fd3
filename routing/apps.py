from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from agents import hooks as agent_hooks
        from conversations import hooks as conversation_hooks
        from routing import listeners

        conversation_hooks.conversations_changed.append(listeners.route_and_time_sla)
        agent_hooks.agent_came_online.append(listeners.offer_queues_to_agent)
