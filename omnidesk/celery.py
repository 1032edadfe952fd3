"""The Celery app. Queues: inbound, outbound, periodic, default (DESIGN.md, "Scaling")."""

import os

from celery import Celery, signals
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnidesk.settings")

app = Celery("omnidesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("inbound", "outbound", "periodic", "default")]
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Around each task, as Django does around each request: close a connection that
    broke or outlived CONN_MAX_AGE, keep the others (see CELERY_DB_REUSE_MAX). Not for
    a task run eagerly inside a caller's transaction, which this would close."""
    if not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
