from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.utils import timezone


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)
    color = models.CharField(max_length=16, blank=True, default="#6b7280")

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    class Priority(models.IntegerChoices):
        LOW = 0, "Low"
        NORMAL = 1, "Normal"
        HIGH = 2, "High"
        URGENT = 3, "Urgent"

    # Statuses a new message joins (DESIGN.md, "One conversation continues across channels").
    CONTINUABLE_STATUSES = (Status.OPEN, Status.PENDING, Status.SNOOZED)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="conversations",
        db_index=False,  # leads the composite indexes in Meta
    )
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        on_delete=models.PROTECT,
        related_name="conversations",
        help_text="The inbox the conversation started in; decides which teams see it.",
        db_index=False,  # leads the composite indexes in Meta
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # leads the composite indexes in Meta
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        db_index=False,  # leads the composite indexes in Meta
    )
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    # Typed custom attributes, keyed by `customers.AttributeDefinition.key`.
    attributes = models.JSONField(default=dict, blank=True)
    last_channel = models.CharField(
        max_length=16, help_text="Channel of the latest inbound message."
    )
    last_message_at = models.DateTimeField()
    last_message_preview = models.CharField(max_length=200, blank=True)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Oldest unanswered customer message."
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # The due times above run only while their target does, and are cleared once it is
    # met; reports measure attainment against what was due when it was met.
    first_response_was_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The first response's SLA due time when it was sent."
    )
    resolution_was_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The resolution's SLA due time when last resolved."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # What the live inbox last announced (`conversations.services.live`): the bucket the
    # conversation is counted in (`InboxCount`) and the version of its row agents hold.
    # Only the announcer writes these; a change it missed shows as a difference from the
    # columns above and is announced by the reconciliation.
    live_version = models.BigIntegerField(default=0)
    listed_status = models.CharField(max_length=16, blank=True)
    listed_endpoint_id = models.BigIntegerField(default=0)
    listed_team_id = models.BigIntegerField(default=0)
    listed_assignee_id = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "status", "-last_message_at"]),
            models.Index(fields=["status", "-last_message_at", "-id"]),
            models.Index(fields=["assignee", "status", "-last_message_at"]),
            models.Index(fields=["team", "status", "-last_message_at"]),
            models.Index(fields=["endpoint", "status", "-last_message_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject or self.last_message_preview[:40]}"


class ReferenceIds(models.Func):
    """The Message-IDs of an email's References header as an array (`email_references`
    keeps them separated by spaces). The separator is part of the SQL, not a parameter,
    so queries match the expression index whatever the statement's plan."""

    function = "string_to_array"
    template = "%(function)s(%(expressions)s, ' ')"
    output_field = ArrayField(models.TextField())


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", "Inbound"
        OUTBOUND = "out", "Outbound"
        INTERNAL = "internal", "Internal"

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        NOTE = "note", "Private note"
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"
        CALL = "call", "Call"

    class DeliveryStatus(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"
        NOT_APPLICABLE = "n/a", "Not applicable"

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # leads the composite indexes in Meta
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    channel = models.CharField(max_length=16, blank=True, help_text="Endpoint kind, kept as sent.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitised HTML (email).")
    # The body as the timeline shows it, rendered once when text or html is written
    # (`conversations.display.render_message_body`): rendering only prints it.
    body_html = models.TextField(blank=True, editable=False)
    provider_message_id = models.CharField(max_length=255, blank=True)
    inbound_event = models.OneToOneField(
        "channels_app.InboundEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_message",
    )
    delivery_status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.NOT_APPLICABLE
    )
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_message_id = models.CharField(max_length=998, blank=True)
    email_in_reply_to = models.CharField(max_length=998, blank=True)
    email_references = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Inbound messages take the time the provider's delivery was accepted, so the
    # timeline keeps arrival order however the workers interleave.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"]),
            # The inbox's channel filter probes it per conversation row.
            models.Index(fields=["conversation", "channel"], name="message_conv_channel_idx"),
            models.Index(
                fields=["email_message_id"],
                condition=~models.Q(email_message_id=""),
                name="message_email_id_idx",
            ),
            # A message finds the replies stored before it (continuity.thread_of).
            models.Index(
                fields=["email_in_reply_to"],
                condition=~models.Q(email_in_reply_to=""),
                name="message_in_reply_to_idx",
            ),
            GinIndex(
                ReferenceIds("email_references"),
                condition=~models.Q(email_references=""),
                name="message_references_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivery_status="queued"),
                name="message_queued_idx",
            ),
            # Inbox search; queries must build the very same expression
            # (conversations.selectors.MESSAGE_SEARCH_VECTOR) for PostgreSQL to use it.
            GinIndex(SearchVector("subject", "text", config="simple"), name="message_search_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "direction", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="message_unique_provider_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} message #{self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.conversation_id}/{instance.message_id}/{filename}"


RASTER_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0)
    content_id = models.CharField(max_length=255, blank=True, help_text="For inline email images.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        """A picture a browser may show inline: raster formats only. An SVG is a document
        that can hold links and forms, so it is always downloaded."""
        return self.content_type.split(";")[0].strip().lower() in RASTER_IMAGE_TYPES


class ConversationEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        TEAM_CHANGED = "team_changed", "Team changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        REOPENED = "reopened", "Reopened"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        CHANNEL_SWITCHED = "channel_switched", "Channel switched"
        MERGED = "merged", "Customer merged"
        UNMERGED = "unmerged", "Customer merge undone"
        CUSTOMER_UPDATED = "customer_updated", "Customer updated"
        RULE_FIRED = "rule_fired", "Routing rule fired"
        SLA = "sla", "SLA"
        DELIVERY_FAILED = "delivery_failed", "Delivery failed"
        PARTICIPANT_ADDED = "participant_added", "Participant added"
        SPLIT = "split", "Split"
        CONVERSATIONS_MERGED = "conversations_merged", "Conversations merged"

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # leads the composite index in Meta
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.conversation_id}"


class ConversationParticipant(models.Model):
    """Someone other than the customer who takes part in the conversation's email thread:
    a colleague who replied to it (on the thread's To or Cc, or of the customer's
    organisation). They keep their own customer record and identities, never merged
    into the conversation's customer; agent replies copy them (Cc)."""

    class Reason(models.TextChoices):
        COPIED = "copied", "On the thread's To or Cc"
        ORGANISATION = "organisation", "Same organisation as the customer"
        AGENT = "agent", "Added by an agent"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    # The participant's own record (their email identity resolves to it).
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(max_length=320, help_text="Normalised email address.")
    name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "address"], name="participant_unique_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} on #{self.conversation_id}"


class CustomerMerge(models.Model):
    """One merge of two customers and exactly what it moved, so it can be undone.

    `moved` lists the ids that changed hands (identities, external records,
    conversations, customers that redirected to the source) and the target's fields as
    they were before (name, language, attributes, tags)."""

    source = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "-merged_at"])]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class CannedResponse(models.Model):
    shortcut = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class ReadMarker(models.Model):
    """When an agent last looked at a conversation: what is newer is unread for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_markers"
    )
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="read_marker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.conversation_id} at {self.read_at}"


class InboxCount(models.Model):
    """How many conversations sit in one bucket (status, inbox, team, assignee; 0 for
    none): the inbox's tab counts are sums of these, kept by the live announcer in the
    transaction that moves a conversation between buckets, never counted per request."""

    status = models.CharField(max_length=16)
    endpoint_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    assignee_id = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status", "endpoint_id", "team_id", "assignee_id"],
                name="inbox_count_bucket_unique",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.status} inbox {self.endpoint_id} team {self.team_id}"
            f" assignee {self.assignee_id}: {self.count}"
        )
