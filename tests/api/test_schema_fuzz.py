"""Schemathesis over the API's own schema (`/api/schema/`, issue 14 point 7): every
operation, called by an admin with a token, with a bounded and seeded number of generated
requests (valid and invalid), answers without a server error; bad input gets a 4xx.

A generated request that names an object (in its path or its body) is sent twice: as
generated (usually an id that does not exist) and naming a real object of the two-team
desk of `test_visibility_matrix`, so bodies and filters are tried on real conversations,
customers, endpoints, suggestions and reports. Every operation is fuzzed, none excluded:
nothing leaves the process (replies are delivered after commit, and each example is
rolled back)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from tests.security.test_visibility_matrix import World, build_world

# Per operation and per mode (valid, then invalid input): this many generated requests.
# Derandomised, so every run (and CI) sends the same requests.
MAX_EXAMPLES = 15
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _operations() -> list[str]:
    """Every operation of the schema, read at collection (the test reads it again from
    `/api/schema/`, as a client would)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        f"{method.upper()} {path}"
        for path, methods in generated["paths"].items()
        for method in methods
    )


OPERATIONS = _operations()


@pytest.fixture
def desk(db) -> World:
    return build_world()


@pytest.fixture
def admin_headers(desk: World) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=desk.admin)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application, run in the test's thread and transaction. Like Django's
    test client, it must not close the test's connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, admin_headers):
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", wsgi_app, headers=admin_headers
    )


def _real_path_parameters(desk: World, path: str) -> dict[str, Any]:
    """The path parameters naming a real object of the kind `path` names."""
    by_prefix = {
        "/api/v1/conversations/": {"id": desk.a.conversation.pk},
        "/api/v1/customers/": {"id": desk.a.customer.pk},
        "/api/v1/endpoints/": {"id": desk.a.endpoint.pk},
        "/api/v1/merge-suggestions/": {"id": desk.a.suggestion.pk},
        "/api/v1/reports/": {"name": "summary"},
    }
    return next((found for prefix, found in by_prefix.items() if path.startswith(prefix)), {})


def _real_body_fields(desk: World) -> dict[str, Any]:
    """Body fields that name an object, and a real one to name."""
    return {
        "endpoint": desk.a.endpoint.key,  # inbound/ (a key); messages/ (a reply channel)
        "into": desk.a.shared_conversation.pk,
        "message": desk.a.note.pk,
        "source": desk.a.lookalike.pk,
        "merge": desk.a.merge.pk,
        "keep": desk.a.customer.pk,
    }


def _on_real_objects(case: Case, desk: World) -> bool:
    """Point `case` at real objects where it names any; whether it names one."""
    named = False
    if case.path_parameters and (real := _real_path_parameters(desk, case.operation.path)):
        case.path_parameters = {**case.path_parameters, **real}
        named = True
    if isinstance(case.body, dict):
        fields = {k: v for k, v in _real_body_fields(desk).items() if k in case.body}
        if fields:
            case.body = {**case.body, **fields}
            named = True
    return named


def test_the_fuzzed_operations_are_those_the_schema_serves(api_schema):
    served = sorted(
        f"{operation.method.upper()} {operation.path}"
        for operation in (result.ok() for result in api_schema.get_all_operations())
    )
    assert served == OPERATIONS


@pytest.mark.parametrize("operation", OPERATIONS)
def test_no_api_operation_answers_with_a_server_error(
    operation, api_schema, desk, admin_headers, wsgi_app
):
    method, path = operation.split(" ", 1)
    api_operation = api_schema[path][method]

    def no_server_error(case: Case) -> None:
        # Each example starts from the same desk: what it wrote is rolled back.
        with transaction.atomic():
            response = case.call(headers=admin_headers, app=wsgi_app)
            case.validate_response(response, checks=[not_a_server_error])
            if _on_real_objects(case, desk):
                response = case.call(headers=admin_headers, app=wsgi_app)
                case.validate_response(response, checks=[not_a_server_error])
            transaction.set_rollback(True)

    modes = [GenerationMode.POSITIVE]
    # Invalid requests need something to make invalid (credentials are always ours).
    inputs = [
        parameter
        for parameter in api_operation.iter_parameters()
        if parameter.location.value in ("path", "query")
    ]
    if inputs or len(api_operation.body):
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:
        strategy = api_operation.as_strategy(generation_mode=mode)
        FUZZ_SETTINGS(given(case=strategy)(no_server_error))()
