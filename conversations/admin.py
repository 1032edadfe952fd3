from django.contrib import admin

from conversations.display import render_message_body
from conversations.models import (
    Attachment,
    CannedResponse,
    Conversation,
    ConversationEvent,
    Message,
    Tag,
)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = [
        "created_at",
        "direction",
        "kind",
        "channel",
        "sender_name",
        "text",
        "delivery_status",
    ]
    readonly_fields = fields
    show_change_link = True
    can_delete = False


class EventInline(admin.TabularInline):
    model = ConversationEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "data"]
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "status",
        "priority",
        "last_channel",
        "assignee",
        "team",
        "last_message_at",
    ]
    list_filter = ["status", "priority", "last_channel", "team", "endpoint"]
    search_fields = ["subject", "customer__name", "customer__identities__value"]
    raw_id_fields = ["customer", "assignee"]
    filter_horizontal = ["tags"]
    date_hierarchy = "last_message_at"
    inlines = [MessageInline, EventInline]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "conversation",
        "direction",
        "kind",
        "channel",
        "delivery_status",
        "created_at",
    ]
    list_filter = ["direction", "kind", "channel", "delivery_status"]
    search_fields = ["text", "subject", "provider_message_id", "email_message_id"]
    raw_id_fields = ["conversation", "author", "inbound_event"]
    inlines = [AttachmentInline]

    def save_model(self, request, obj: Message, form, change: bool) -> None:
        # The timeline prints the body rendered when the text was written.
        obj.body_html = render_message_body(text=obj.text, html=obj.html)
        super().save_model(request, obj, form, change)


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["conversation", "actor"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color"]
    search_fields = ["name"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title", "team"]
    list_filter = ["team"]
    search_fields = ["shortcut", "title", "text"]
