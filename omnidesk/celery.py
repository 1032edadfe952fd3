"""The Celery app. Queues: inbound, outbound, periodic, default (DESIGN.md, "Scaling")."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnidesk.settings")

app = Celery("omnidesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("inbound", "outbound", "periodic", "default")]
app.autodiscover_tasks()
