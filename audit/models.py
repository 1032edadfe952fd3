from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """Who did what, when and from where. Append-only: a database trigger refuses every
    UPDATE and DELETE (migration 0002), the admin shows entries read-only.

    The actor and the object are kept by id and label, not by foreign key, so deleting a
    user or an object never touches the log. `changes` holds field names and values of
    configuration, never message bodies, customers' personal values or secrets."""

    class ActorKind(models.TextChoices):
        USER = "user", "Signed-in user"
        TOKEN = "token", "API token"
        SYSTEM = "system", "System"

    created_at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, help_text="e.g. conversation.status, login.failed")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_recent_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["actor_id", "-created_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_label or self.actor_kind
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action}"
