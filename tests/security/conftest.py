"""Fixtures the security tests share with the channel tests."""

from tests.channels_app.conftest import smtp_server  # noqa: F401 (fixture)
from tests.channels_app.test_web_forms import form_endpoint  # noqa: F401 (fixture)
