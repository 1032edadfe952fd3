"""The production topology in docker-compose.yml (docs/deployment.md): the proxy sends
the intake paths to the intake processes and everything else, websockets included, to
the web processes; every process reaches PostgreSQL through PgBouncer, in pools whose
sum fits PostgreSQL's connections.

Docker is not needed: the files are read as compose, Caddy and PgBouncer read them
(YAML with merge keys, the Caddyfile's `handle` blocks, PgBouncer's ini).
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
APP_IMAGE = "omnidesk:latest"
# PostgreSQL keeps these for superusers (superuser_reserved_connections' default).
SUPERUSER_RESERVED = 3


def interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` with nothing set: the default (`${VAR:?}` stays as is)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(value) for key, value in (service.get("environment") or {}).items()}


def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("image") == APP_IMAGE}


def mounted(service: dict[str, Any], target: str) -> Path:
    for volume in service.get("volumes", []):
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target:
            return ROOT / source
    pytest.fail(f"nothing is mounted at {target}")


# --- The proxy -----------------------------------------------------------------------


@dataclass
class Block:
    tokens: list[str]
    children: list[Block] = field(default_factory=list)


def parse_caddyfile(text: str) -> list[Block]:
    """Caddyfile lines as a tree of directives and their `{ ... }` blocks."""
    root: list[Block] = []
    stack: list[list[Block]] = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
            continue
        opens = line.endswith("{")
        block = Block(tokens=line.removesuffix("{").split())
        stack[-1].append(block)
        if opens:
            stack.append(block.children)
    assert stack == [root], "unbalanced braces"
    return root


def upstream_of(handle: Block) -> str:
    """The compose service a `handle` block proxies to."""
    for directive in handle.children:
        if directive.tokens[0] != "reverse_proxy":
            continue
        if len(directive.tokens) > 1:  # reverse_proxy web:8000
            return directive.tokens[1].partition(":")[0]
        for option in directive.children:
            if option.tokens[:2] == ["dynamic", "a"]:  # dynamic a web 8000
                return option.tokens[2]
            if option.tokens[0] == "to":
                return option.tokens[1].partition(":")[0]
    pytest.fail(f"handle {handle.tokens} proxies nowhere")


def route(handles: list[Block], path: str) -> str:
    """Caddy's choice among mutually exclusive `handle` blocks: the most specific path
    matcher that matches (the longest; `*` at the end matches any rest), else the block
    without a matcher."""
    best: tuple[int, Block] | None = None
    fallback = None
    for handle in handles:
        if len(handle.tokens) == 1:
            fallback = handle
            continue
        pattern = handle.tokens[1]
        assert pattern.startswith("/"), f"only path matchers are understood here: {pattern}"
        prefix = pattern.removesuffix("*")
        matches = path.startswith(prefix) if pattern.endswith("*") else path == pattern
        if matches and (best is None or len(prefix) > best[0]):
            best = (len(prefix), handle)
    chosen = best[1] if best else fallback
    assert chosen is not None, f"no handle block serves {path}"
    return upstream_of(chosen)


@pytest.fixture(scope="module")
def proxy_handles(services) -> list[Block]:
    caddyfile = mounted(services["proxy"], "/etc/caddy/Caddyfile")
    sites = parse_caddyfile(caddyfile.read_text())
    assert len(sites) == 1, "one site: the desk"
    return [block for block in sites[0].children if block.tokens[0] == "handle"]


@pytest.mark.parametrize(
    "path",
    [
        "/hooks/twilio/k3y/sms",
        "/hooks/meta/k3y/",
        "/hooks/mailgun/k3y/",
        "/api/v1/inbound/",
        "/api/v1/inbound",
    ],
)
def test_the_proxy_sends_webhooks_and_the_inbound_api_to_intake(proxy_handles, path):
    assert route(proxy_handles, path) == "intake"


@pytest.mark.parametrize(
    "path",
    [
        "/ws/inbox/",
        "/ws/reports/live/",
        "/inbox/",
        "/accounts/login/",
        "/api/v1/conversations/",
        "/api/v1/endpoints/",
        "/static/css/omnidesk.css",
        "/hooksx",
        "/",
    ],
)
def test_the_proxy_sends_everything_else_and_websockets_to_web(proxy_handles, path):
    assert route(proxy_handles, path) == "web"


def test_intake_and_web_serve_the_desk_with_pools_of_their_own(services, proxy_handles):
    upstreams = {upstream_of(handle) for handle in proxy_handles}
    assert upstreams == {"intake", "web"}
    databases = set()
    for name in upstreams:
        service = services[name]
        command = " ".join(service["command"])
        assert command.startswith("uvicorn omnidesk.asgi:application"), name
        assert "--port 8000" in command, name
        env = environment(service)
        assert int(env["OMNIDESK_DB_POOL_MAX"]) > 0, f"{name} runs without a pool"
        databases.add(urlsplit(env["DATABASE_URL"]).path)
    assert len(databases) == 2, "intake must not share web's PgBouncer pool"


def test_the_desk_trusts_the_proxy_for_client_addresses(services):
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    for name in ("web", "intake"):
        assert environment(services[name])["OMNIDESK_TRUSTED_PROXIES"] == proxy_address


# --- PgBouncer and the connection budget ------------------------------------------------


@pytest.fixture(scope="module")
def pgbouncer_ini(services) -> configparser.ConfigParser:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(mounted(services["pgbouncer"], "/etc/pgbouncer/pgbouncer.ini").read_text())
    return ini


def test_every_process_reaches_postgresql_through_pgbouncer(services, pgbouncer_ini):
    apps = app_services(services)
    assert {"web", "intake", "worker", "beat", "migrate"} <= set(apps)
    for name, service in services.items():
        env = environment(service)
        if name not in apps and "DATABASE_URL" not in env:
            continue
        url = urlsplit(env["DATABASE_URL"])
        assert url.hostname == "pgbouncer", f"{name} connects to {url.hostname}"
        assert url.port == int(pgbouncer_ini["pgbouncer"]["listen_port"]), name
        assert url.path.lstrip("/") in pgbouncer_ini["databases"], f"{name}: no such pool"
        assert parse_qs(url.query).get("application_name"), f"{name} is anonymous"
        # What transaction pooling needs from Django (omnidesk/settings.py).
        assert env["OMNIDESK_DB_SERVER_SIDE_BINDING"] == "0", name
        assert env["OMNIDESK_DB_DISABLE_SERVER_SIDE_CURSORS"] == "1", name
        assert env["OMNIDESK_DB_OPTIONS"] == "", name
    assert pgbouncer_ini["pgbouncer"]["pool_mode"] == "transaction"


def test_celery_and_one_shot_commands_run_without_a_pool(services):
    # Celery closes a prefork child's pool after every task; a pool there only churns.
    for name in ("worker", "beat", "migrate"):
        assert environment(services[name])["OMNIDESK_DB_POOL_MAX"] == "0", name


def test_pgbouncer_pools_fit_postgresql_max_connections(services, pgbouncer_ini):
    command = services["postgres"]["command"]
    settings = dict(command[i + 1].split("=", 1) for i, part in enumerate(command) if part == "-c")
    max_connections = int(settings["max_connections"])
    assert settings["jit"] == "off", "the app sends no startup options through PgBouncer"
    pools = [
        int(re.search(r"\bpool_size=(\d+)", line).group(1))
        for line in pgbouncer_ini["databases"].values()
    ]
    reserve = int(pgbouncer_ini["pgbouncer"].get("reserve_pool_size", "0"))
    server_side = sum(pools) + reserve * len(pools)
    assert server_side <= max_connections - SUPERUSER_RESERVED


def test_one_of_each_process_fits_pgbouncer_client_connections(services, pgbouncer_ini):
    web = int(environment(services["web"])["OMNIDESK_DB_POOL_MAX"])
    intake = int(environment(services["intake"])["OMNIDESK_DB_POOL_MAX"])
    worker_command = [interpolate(part) for part in services["worker"]["command"]]
    concurrency = int(worker_command[worker_command.index("--concurrency") + 1])
    client_side = web + intake + concurrency + 1  # + migrate
    assert client_side <= int(pgbouncer_ini["pgbouncer"]["max_client_conn"])
