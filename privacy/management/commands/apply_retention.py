from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy import services


class Command(BaseCommand):
    help = (
        "Anonymise resolved conversations the retention policies say were kept long enough;"
        " --dry-run says what would be removed and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only say what would go.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        candidates = services.apply_retention(dry_run=dry_run)
        verb = "would anonymise" if dry_run else "anonymised"
        for candidate in candidates:
            self.stdout.write(
                f"{candidate.policy.name} (after {candidate.policy.anonymise_after_days} days):"
                f" {verb} {len(candidate.conversation_ids)} conversations,"
                f" {candidate.messages} messages, {candidate.attachments} attachments"
                f" ({candidate.attachment_bytes} bytes)"
            )
        if not candidates:
            self.stdout.write("No active retention policy.")
