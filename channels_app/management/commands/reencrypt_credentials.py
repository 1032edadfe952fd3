"""Rewrite every endpoint's stored credentials with the current encryption key, after a
key rotation (`omnidesk/crypto.py`): then the old key can leave the fallback list."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from channels_app.models import ChannelEndpoint


class Command(BaseCommand):
    help = "Re-encrypt every endpoint's credentials with the current key."

    def handle(self, *args, **options) -> None:
        count = 0
        with transaction.atomic():
            for endpoint in ChannelEndpoint.objects.select_for_update().order_by("pk"):
                # Loading decrypts with any listed key; saving encrypts with the current.
                endpoint.save(update_fields=["credentials"])
                count += 1
        self.stdout.write(f"Re-encrypted the credentials of {count} endpoint(s).")
