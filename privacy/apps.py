from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data subject requests (export, erasure) and retention policies. It orchestrates:
    the writes on customers and conversations are their services', the copies other apps
    keep are removed by their subscribers to `conversations.hooks.personal_data_erased`."""

    name = "privacy"
    verbose_name = "Privacy"
