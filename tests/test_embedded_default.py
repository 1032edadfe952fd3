"""`make run`'s embedded default (SQLite, no Redis, tasks in-process) migrates, seeds,
takes in a message and shows it in the inbox: every migration and every read must work
on SQLite too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ACCEPT_A_MESSAGE = """
from channels_app.models import ChannelEndpoint, InboundEvent
from intake.services import accept_inbound
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


OPEN_THE_INBOX = """
from django.contrib.auth import get_user_model
from django.test import Client
from conversations.models import Conversation
conversation = Conversation.objects.order_by("-last_message_at").first()
client = Client(HTTP_HOST="localhost", HTTP_HX_REQUEST="true")
client.force_login(get_user_model().objects.get(username="supervisor"))
page = client.get("/inbox/list/?view=all")
timeline = client.get(f"/inbox/c/{conversation.pk}/timeline/")
print("list", page.status_code, f'id="row-{conversation.pk}"' in page.text,
      "timeline", timeline.status_code, 'class="item message' in timeline.text)
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


def test_the_embedded_default_migrates_seeds_processes_and_shows_a_message(tmp_path):
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
    # The inbox's compiled queries are PostgreSQL's; here the ORM answers them.
    assert "list 200 True timeline 200 True" in manage("shell", "-c", OPEN_THE_INBOX, env=env)
