"""Settings for the test suite: real PostgreSQL and Redis on loopback by default."""

import os
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("OMNIDESK_REDIS_PREFIX", f"omnidesk-test-{os.getpid()}")
# Tasks run inline unless a test starts a real worker (tests/test_celery_worker.py).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# The suite runs the development desk (DEBUG, the development key) unless a test asks
# for production settings; subprocesses it starts inherit this.
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault(
    "MEDIA_ROOT", os.path.join(tempfile.gettempdir(), f"omnidesk-test-media-{os.getpid()}")
)

from omnidesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The live server of the browser tests serves each request and consumer call from a thread
# of its own, without the production pool: a connection kept per thread (CONN_MAX_AGE)
# stayed open until the thread was collected, and a full run neared PostgreSQL's 100
# connections ("too many clients"). Closed when each request or consumer call ends.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
