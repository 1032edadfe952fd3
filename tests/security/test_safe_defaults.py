"""Production defaults are safe without configuration (issue 14, finding M6): with no
environment, DEBUG is off and the desk refuses to start without a secret key; stored
files are never served from MEDIA_URL."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from tests.test_deploy_settings import run_manage


def test_an_empty_environment_is_production_and_needs_a_secret_key():
    refused = run_manage("check", SECRET_KEY="")
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    started = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    )
    assert started.stdout.strip().splitlines()[-1] == "False", started.stderr


def test_media_files_have_no_public_url():
    with pytest.raises(Resolver404):
        resolve("/media/attachments/1/1/upload.png")
