"""Log lines as JSON: one object a line, every `extra=` field kept, bodies and secrets not."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from omnidesk.logging_json import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _log_through_formatter(**extra) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.operations.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("inbound event failed for %s", "meta", extra=extra)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_record_with_context_comes_out_as_one_json_line_with_its_fields():
    output = _log_through_formatter(
        endpoint="shop-whatsapp", conversation_id=42, event_id=7, message_id=99
    )

    lines = output.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["message"] == "inbound event failed for meta"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tests.operations.json_logs"
    assert entry["time"]
    assert entry["endpoint"] == "shop-whatsapp"
    assert (entry["conversation_id"], entry["event_id"], entry["message_id"]) == (42, 7, 99)


def test_message_bodies_and_secrets_never_reach_the_log_line():
    output = _log_through_formatter(
        event_id=7,
        text="my card number is 4111",
        body="<p>hello</p>",
        html="<p>hello</p>",
        password="hunter2",
        api_token="tok-123",
        client_secret="shh",
        authorization="Bearer abc",
        credentials={"auth_token": "x"},
    )

    entry = json.loads(output)
    assert entry["event_id"] == 7
    for name in ("text", "body", "html", "password", "api_token", "client_secret"):
        assert name not in entry
    assert "authorization" not in entry and "credentials" not in entry
    for secret in ("4111", "hello", "hunter2", "tok-123", "shh", "abc"):
        assert secret not in output


def _log_from_a_desk_process(**env: str) -> list[str]:
    """What a desk process started with the production settings writes for one record."""
    clean_env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "REDIS_URL", "OMNIDESK_LOG_FORMAT"))
    }
    code = (
        "import logging; logging.getLogger('intake').warning('inbound event failed', "
        "extra={'endpoint': 'shop-sms', 'event_id': 7, 'text': 'a customer body 4111'})"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", code],
        cwd=ROOT,
        env={
            **clean_env,
            "DJANGO_SETTINGS_MODULE": "omnidesk.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "desk.example.com",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if "inbound event failed" in line]


def test_a_production_desk_logs_json_lines_with_context_by_default():
    (line,) = _log_from_a_desk_process()

    entry = json.loads(line)
    assert (entry["logger"], entry["endpoint"], entry["event_id"]) == ("intake", "shop-sms", 7)
    assert "text" not in entry
    assert "4111" not in line


def test_text_logs_can_be_chosen():
    (line,) = _log_from_a_desk_process(OMNIDESK_LOG_FORMAT="text")

    assert not line.startswith("{")
    assert "WARNING intake inbound event failed" in line
