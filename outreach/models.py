"""Outreach: notifications the desk starts, the customer's consent per channel, and
messages scheduled for later (agent replies and notes)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class NotificationTemplate(models.Model):
    """A notification's text per locale, with `{{ variable }}` placeholders, and the
    provider-approved WhatsApp template it maps to (needed outside the 24-hour window)."""

    key = models.SlugField(max_length=64, help_text="What the API names it by: order_shipped.")
    locale = models.CharField(max_length=16, default="en")
    channel_kinds = ArrayField(
        models.CharField(max_length=16),
        blank=True,
        default=list,
        help_text="Channel kinds it may go out on (sms, whatsapp, email...); empty: any.",
    )
    subject = models.CharField(max_length=300, blank=True, help_text="Email subject.")
    body = models.TextField(help_text="Text with {{ variable }} placeholders.")
    whatsapp_template_name = models.CharField(max_length=200, blank=True)
    whatsapp_language = models.CharField(max_length=16, blank=True)
    whatsapp_parameters = models.JSONField(
        default=list,
        blank=True,
        help_text="Variable names filling the WhatsApp template's body parameters, in order.",
    )
    approved = models.BooleanField(
        default=False, help_text="WhatsApp approved the template named above."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "locale"], name="notification_template_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.locale})"


class BulkSend(models.Model):
    """One bulk notification: its recipients become Notification rows, paced per
    channel, a batch at a time (`next_offset` into `recipient_ids` is how far it got;
    the counters are written in the same transaction as the batch's notifications)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"  # some batches done, more to go
        DONE = "done", "Done"

    template = models.ForeignKey(
        NotificationTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template_key = models.SlugField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    variables = models.JSONField(default=dict, blank=True)
    send_at = models.DateTimeField(null=True, blank=True, help_text="Not before; empty: now.")
    source = models.CharField(max_length=200, blank=True, help_text="csv, or the filter used.")
    recipient_ids = ArrayField(
        models.BigIntegerField(),
        default=list,
        blank=True,
        help_text="The customers it was accepted for, in order, each once.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    next_offset = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    scheduled = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(
        default=0, help_text="Recipients deleted before their batch ran."
    )
    unmatched = models.JSONField(default=list, blank=True, help_text="CSV rows matching nobody.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Bulk send #{self.pk} ({self.total})"


class Notification(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"  # its message is on the timeline, being delivered
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    class SkipReason(models.TextChoices):
        OPTED_OUT = "opted_out", "The customer opted out of this channel"
        NO_CHANNEL = "no_channel", "No proven channel can carry it"
        NEEDS_TEMPLATE = "needs_template", "Outside WhatsApp's window without an approved template"
        REFUSED = "refused", "The channel refused it"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="notifications"
    )
    template = models.ForeignKey(
        NotificationTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    text = models.TextField(blank=True, help_text="Free text, or the template as rendered.")
    variables = models.JSONField(default=dict, blank=True)
    requested_endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The channel asked for; empty: the customer's preferred or latest.",
    )
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The channel it went out on.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=32, choices=SkipReason.choices, blank=True)
    detail = models.TextField(blank=True)
    send_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    bulk = models.ForeignKey(
        BulkSend, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A bulk send's batch that runs again (a retry, a resumed crash) finds its
            # customers served already instead of notifying them twice.
            models.UniqueConstraint(
                fields=["bulk", "customer"],
                condition=models.Q(bulk__isnull=False),
                name="notification_once_per_bulk",
            )
        ]
        indexes = [
            # The sweep reads only what waits, soonest first.
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="scheduled"),
                name="notification_due_idx",
            ),
            models.Index(fields=["customer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} to {self.customer_id} ({self.status})"


class ChannelOptOut(models.Model):
    """The customer behind `identity` said stop on `channel_kind` (STOP by SMS or
    WhatsApp, an email's unsubscribe link). Notifications skip it; replies to the
    customer's own messages still go. START removes it."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", "Keyword"
        LINK = "link", "Unsubscribe link"
        AGENT = "agent", "Agent"

    identity = models.ForeignKey(
        "customers.Identity", on_delete=models.CASCADE, related_name="opt_outs"
    )
    channel_kind = models.CharField(max_length=16)
    source = models.CharField(max_length=16, choices=Source.choices)
    keyword = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "channel_kind"], name="channel_opt_out_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identity_id} opted out of {self.channel_kind}"


class ChannelPace(models.Model):
    """When the endpoint's next bulk notification may go: bulk sends reserve slots here
    under a row lock, so two bulk sends share the channel's rate instead of doubling it."""

    endpoint = models.OneToOneField(
        "channels_app.ChannelEndpoint", on_delete=models.CASCADE, related_name="+"
    )
    next_free_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.endpoint_id} next free at {self.next_free_at:%H:%M:%S}"


class ScheduledReply(models.Model):
    """An agent's reply or note to go out at `send_at`; cancellable until sent. The row
    is the schedule: a periodic task claims due rows (SKIP LOCKED), so a restart loses
    nothing."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        NOTE = "note", "Private note"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="scheduled_replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPLY)
    text = models.TextField()
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    send_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    error = models.TextField(blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="scheduled"),
                name="scheduled_reply_due_idx",
            ),
            models.Index(fields=["conversation", "status"]),
        ]

    def __str__(self) -> str:
        return f"Scheduled {self.kind} #{self.pk} at {self.send_at:%Y-%m-%d %H:%M}"
