# A real HTTP receiver for outgoing webhooks (their payloads must be erased too).
from tests.webhooks.conftest import receiver  # noqa: F401
