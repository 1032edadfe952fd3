from django.urls import path

from reporting.consumers import LiveNowConsumer

websocket_urlpatterns = [path("ws/reports/", LiveNowConsumer.as_asgi())]
