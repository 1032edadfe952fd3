"""Every websocket route, gathered from the apps that own them."""

from conversations.ws_urls import websocket_urlpatterns as inbox_patterns

websocket_urlpatterns = [*inbox_patterns]
