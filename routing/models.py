from __future__ import annotations

from django.conf import settings
from django.db import models


class Team(models.Model):
    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        LEAST_BUSY = "least_busy", "Least busy"
        SKILLS = "skills", "Skills and language, then least busy"
        MANUAL = "manual", "Manual (team queue only)"

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    endpoints = models.ManyToManyField(
        "channels_app.ChannelEndpoint",
        related_name="teams",
        blank=True,
        help_text="Inboxes this team owns: its members see their conversations.",
    )
    assignment_strategy = models.CharField(
        max_length=16, choices=Strategy.choices, default=Strategy.MANUAL
    )

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        SUPERVISOR = "supervisor", "Supervisor"
        ADMIN = "admin", "Admin"

    class Presence(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    capacity = models.PositiveIntegerField(
        default=10, help_text="Maximum open conversations assigned at once."
    )
    skills = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"
