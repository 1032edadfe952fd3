"""A customer's website on its own port (another origin than the desk), serving a page
that embeds the widget snippet under a strict Content-Security-Policy: no inline script,
no inline style, no eval. Browser tests load it like a visitor would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HostSite:
    desk_url: str
    endpoint_key: str
    settings: dict[str, Any] = field(default_factory=dict)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.url

    def csp(self) -> str:
        desk_ws = self.desk_url.replace("http://", "ws://")
        return (
            "default-src 'self'; "
            f"script-src 'self' {self.desk_url}; "
            f"connect-src 'self' {self.desk_url} {desk_ws}; "
            f"img-src 'self' {self.desk_url}; "
            "style-src 'self'; object-src 'none'; base-uri 'none'"
        )

    def page(self) -> bytes:
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width,initial-scale=1">'
            "<title>Acme shop</title>"
            '<script src="/settings.js"></script>'
            f'<script src="{self.desk_url}/widget/{self.endpoint_key}.js" async></script>'
            "</head><body><h1>Acme shop</h1><p>Our products.</p>"
            '<button id="host-button">A host page button</button></body></html>'
        ).encode()


@contextmanager
def serve_host_site(site: HostSite) -> Iterator[HostSite]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/settings.js"):
                body = f"window.OmnideskSettings = {json.dumps(site.settings)};".encode()
                content_type = "application/javascript"
            elif self.path in ("/", "/index.html") or self.path.startswith("/?"):
                body = site.page()
                content_type = "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", site.csp())
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="host-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
