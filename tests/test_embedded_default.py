"""`make run`'s embedded default (SQLite, no Redis, tasks in-process) migrates, seeds and
takes in a message: every migration must work on SQLite too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ACCEPT_A_MESSAGE = """
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.services import accept_inbound
from channels_app.types import InboundMessage
from conversations.models import Message
endpoint = ChannelEndpoint.objects.filter(kind="sms").first()
before = Message.objects.count()
for n in range(2):
    accept_inbound(endpoint=endpoint, messages=[InboundMessage(
        provider_id=f"embedded-{n}", identities={"phone": "+14155550199"}, text=f"Hi {n}")])
statuses = set(InboundEvent.objects.filter(provider_id__startswith="embedded-")
               .values_list("status", flat=True))
print("stored", Message.objects.count() - before, sorted(statuses))
"""


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_embedded_default_migrates_seeds_and_processes_a_message(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        SQLITE_PATH=str(tmp_path / "omnidesk.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="omnidesk.settings",
        LOG_LEVEL="WARNING",
    )
    manage("migrate", "--noinput", env=env)
    assert "omnidesk-demo" in manage("seed_demo", env=env)
    assert "stored 2 ['processed']" in manage("shell", "-c", ACCEPT_A_MESSAGE, env=env)
