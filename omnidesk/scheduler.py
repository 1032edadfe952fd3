"""The embedded default's stand-in for Celery beat: runs the beat schedule in a thread.

Only used when there is no broker (tasks run in-process); with Redis, run `celery beat`.
"""

from __future__ import annotations

import logging
import threading
import time

from celery import current_app
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def start_in_process_scheduler() -> threading.Thread:
    thread = threading.Thread(target=_run_forever, name="omnidesk-scheduler", daemon=True)
    thread.start()
    return thread


def _run_forever() -> None:
    schedule = {
        name: float(entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }
    next_run = {name: time.monotonic() + interval for name, interval in schedule.items()}
    while True:
        now = time.monotonic()
        for name, due in next_run.items():
            if now >= due:
                entry = settings.CELERY_BEAT_SCHEDULE[name]
                try:
                    current_app.tasks[entry["task"]].apply()
                except Exception:
                    logger.exception("scheduled job failed", extra={"job": name})
                finally:
                    close_old_connections()
                next_run[name] = now + schedule[name]
        time.sleep(1)
