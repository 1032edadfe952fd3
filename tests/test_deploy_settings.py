"""Production mode passes `manage.py check --deploy` with no warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    # The suite's PostgreSQL (set by omnidesk.settings_test), never the embedded server.
    database = {"DATABASE_URL": os.environ["DATABASE_URL"]}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **database, "DJANGO_SETTINGS_MODULE": "omnidesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="desk.example.com",
        OMNIDESK_PUBLIC_URL="https://desk.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_keep_sessions_in_the_database_behind_the_cache():
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; "
        "print(settings.SESSION_ENGINE); print(settings.AUTHENTICATION_BACKENDS[1]); "
        "print(settings.DATABASES['default']['OPTIONS']['options'])",
        DJANGO_DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="desk.example.com",
        DATABASE_URL="postgres://desk@db.example.com:5432/desk",
        REDIS_URL="redis://cache.example.com:6379/0",
    )
    assert result.returncode == 0, result.stderr
    # The login lockout's backend comes first; the first that loads users is ours.
    assert result.stdout.split("\n")[:3] == [
        "django.contrib.sessions.backends.cached_db",
        "omnidesk.auth.ProfileModelBackend",
        "-c jit=off",
    ]


def test_without_redis_sessions_stay_in_the_database():
    # The fallback cache is per process: a session ended in one would live on in others.
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.SESSION_ENGINE)",
        DJANGO_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.contrib.sessions.backends.db"
