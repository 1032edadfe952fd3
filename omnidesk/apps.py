from django.apps import AppConfig


class OmnideskConfig(AppConfig):
    name = "omnidesk"
    verbose_name = "Omnidesk"
