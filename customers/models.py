from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

from customers.identities import Proof


class Customer(models.Model):
    """The one shared record of a person, whatever channel they use.

    A merged customer keeps its row with `merged_into` set, so old links redirect.
    """

    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["-created_at"]),
            # Inbox search by name (conversations.selectors.CUSTOMER_SEARCH_VECTOR).
            GinIndex(SearchVector("name", config="simple"), name="customer_name_search_idx"),
        ]

    def __str__(self) -> str:
        return self.name or f"Customer #{self.pk}"


class Identity(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        MESSENGER = "messenger", "Messenger PSID"
        INSTAGRAM = "instagram", "Instagram ID"
        TELEGRAM = "telegram", "Telegram chat"
        WEBCHAT = "webchat", "Web chat visitor"
        EXTERNAL = "external", "External ID"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=320, help_text="Normalised: lower-case email, E.164 phone.")
    # How it was proven (customers.identities.Proof). A claim never joins another
    # customer; a proven message with this value takes it over.
    proof = models.CharField(
        max_length=24, choices=[(p.value, p.label) for p in Proof], default=Proof.PROVIDER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"
        # Prefix search on identity values (an email or a phone number being typed).
        indexes = [
            models.Index(
                fields=["value"],
                name="identity_value_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def claimed(self) -> bool:
        return self.proof == Proof.CLAIMED

    @property
    def proof_label(self) -> str:
        return Proof(self.proof).label


class ExternalRecord(models.Model):
    """Context pushed by other systems (orders, accounts) shown beside a conversation."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="external_records"
    )
    source = models.CharField(max_length=64, help_text="The system it comes from, e.g. shopify.")
    kind = models.CharField(max_length=64, help_text="e.g. order, account, subscription.")
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=300, blank=True)
    url = models.URLField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "external_id"], name="external_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id}"


class MergeSuggestion(models.Model):
    """Identities given together that belong to two customers: an agent decides."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Dismissed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "other"],
                condition=models.Q(status="open"),
                name="merge_suggestion_unique_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.other_id}: {self.reason}"


class AttributeDefinition(models.Model):
    """A typed custom attribute of customers or conversations. Values live in the
    `attributes` JSON of the record, keyed by `key`, checked by `customers.attributes`
    on every write."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"
        BOOLEAN = "boolean", "Yes / no"
        LINK = "link", "Link"

    class AppliesTo(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        CONVERSATION = "conversation", "Conversation"

    class EditableBy(models.TextChoices):
        AGENTS = "agents", "Agents"
        SUPERVISORS = "supervisors", "Supervisors only"

    key = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices)
    applies_to = models.CharField(max_length=16, choices=AppliesTo.choices)
    choices = models.JSONField(default=list, blank=True, help_text="The values of a choice.")
    required = models.BooleanField(default=False)
    editable_by = models.CharField(
        max_length=16, choices=EditableBy.choices, default=EditableBy.AGENTS
    )
    position = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["applies_to", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applies_to", "key"], name="attribute_definition_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.applies_to}.attributes.{self.key}"
