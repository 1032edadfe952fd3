"""Who works the desk: teams and the inboxes they own, agents' profiles (role, presence,
capacity) and the business hours a team keeps. The bottom of the app stack beside
customers and channels_app: everything that decides who sees what reads these.

The tables keep their original `routing_*` names: the models moved here from the
routing app without moving any data (migrations `agents.0001` and `routing.0003`)."""

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
    business_hours = models.ForeignKey(
        "agents.BusinessHours",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        help_text="SLA clocks of this team's conversations run only inside these hours.",
    )
    # Round robin continues after the agent who got the last conversation.
    last_assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        db_table = "routing_team"

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

    class Status(models.TextChoices):
        """What the agent chose (or auto-away set). Whether they are connected at all is
        `presence`: an agent with no inbox open is Offline whatever their status."""

        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        BUSY = "busy", "Busy"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    capacity = models.PositiveIntegerField(
        default=10, help_text="Maximum open conversations assigned at once."
    )
    skills = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    # Connectedness: online while any inbox socket of the agent is open (agents/services.py).
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ONLINE)
    # Away set by auto-away (not chosen): activity in any tab undoes it by itself.
    status_is_automatic = models.BooleanField(default=False)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Last activity reported by any of the agent's inbox tabs (at most once a minute each).
    last_active_at = models.DateTimeField(null=True, blank=True)
    # Preferences (agents/preferences.py): "" language follows the browser (LANGUAGES),
    # "" time zone is the desk's TIME_ZONE.
    language = models.CharField(max_length=8, blank=True, default="")
    time_zone = models.CharField(max_length=64, blank=True, default="")
    notify_assigned = models.BooleanField(default=True)
    notify_queue = models.BooleanField(default=True)
    notify_mentions = models.BooleanField(default=True)
    notify_sound = models.BooleanField(default=False)

    class Meta:
        db_table = "routing_agentprofile"

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


# --- Business hours ---------------------------------------------------------------------


class BusinessHours(models.Model):
    """A weekly timetable in one timezone, with holidays; SLA clocks run only inside it."""

    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin."
    )

    class Meta:
        db_table = "routing_businesshours"
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.name} ({self.timezone})"


class BusinessHoursInterval(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    business_hours = models.ForeignKey(
        BusinessHours, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.IntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        db_table = "routing_businesshoursinterval"
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    business_hours = models.ForeignKey(
        BusinessHours, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        db_table = "routing_holiday"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["business_hours", "date"], name="holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class AgentChannelCapacity(models.Model):
    """An optional lower limit for one channel kind, within the agent's overall capacity
    (e.g. at most 2 voice or web chats at once)."""

    profile = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, related_name="channel_capacities"
    )
    channel = models.CharField(max_length=16, help_text="Channel kind, e.g. webchat.")
    capacity = models.PositiveIntegerField()

    class Meta:
        db_table = "routing_agentchannelcapacity"
        verbose_name_plural = "channel capacities"
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "channel"], name="agent_channel_capacity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.capacity}"
