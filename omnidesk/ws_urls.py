"""Every websocket route, gathered from the apps that own them."""

from django.urls import path

from conversations.ws_urls import websocket_urlpatterns as inbox_patterns
from intake.consumers import WidgetConsumer
from reporting.ws_urls import websocket_urlpatterns as report_patterns

websocket_urlpatterns = [*inbox_patterns, *report_patterns]

# The widget runs on customers' sites, not ours: its routes are served without the
# session/AllowedHosts stack; WidgetConsumer checks each endpoint's own allowed origins.
widget_websocket_urlpatterns = [path("ws/widget/<slug:key>/", WidgetConsumer.as_asgi())]
