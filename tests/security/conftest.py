"""Fixtures the security tests share with the channel and inbox tests."""

from tests.channels_app.conftest import smtp_server  # noqa: F401 (fixture)
from tests.channels_app.test_web_forms import form_endpoint  # noqa: F401 (fixture)
from tests.inbox.conftest import desk  # noqa: F401 (fixture)
