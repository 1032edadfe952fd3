"""The pipeline tests' real Celery worker."""

from __future__ import annotations

import pytest

from tests.celery_worker import celery_worker


@pytest.fixture
def celery_worker_process(tmp_path):
    """A worker with the test settings, running tasks in its main process."""
    with celery_worker(tmp_path / "worker.log", queues="inbound,outbound,default") as worker:
        yield worker
