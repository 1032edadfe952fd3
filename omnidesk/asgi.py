"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnidesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from omnidesk.request_limits import CappedRequestBodies  # noqa: E402
from omnidesk.ws_urls import (  # noqa: E402
    websocket_urlpatterns,
    widget_websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        # Bodies over the limit are refused before Django spools them.
        "http": CappedRequestBodies(django_asgi_app),
        "websocket": URLRouter(
            [
                *widget_websocket_urlpatterns,
                # Everything else (the agent inbox) stays on our own hosts and sessions.
                re_path(
                    r"^",
                    AllowedHostsOriginValidator(
                        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                    ),
                ),
            ]
        ),
    }
)
