from django.urls import include, path
from rest_framework.routers import DefaultRouter

from agents.api import MyPreferencesView, MyStatusView
from audit.api import AuditLogView
from bot.api import SelfServiceReportView
from conversations.api import ConversationMessagesView, ConversationViewSet
from conversations.customers_api import CustomerViewSet, MergeSuggestionViewSet
from intake.api import EndpointViewSet, InboundView
from knowledge.api import ArticleViewSet
from macros.api import MacroViewSet
from outreach.api import (
    BulkNotificationView,
    BulkSendView,
    NotificationTemplateViewSet,
    NotificationViewSet,
    ScheduledRepliesView,
    ScheduledReplyView,
)
from privacy.api import CustomerEraseView, CustomerExportView, RetentionDryRunView
from reporting.api import ReportIndexView, ReportView
from webhooks.api import WebhookViewSet
from workspace.api import AttributeDefinitionViewSet, SavedViewViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("merge-suggestions", MergeSuggestionViewSet, basename="merge-suggestion")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("endpoints", EndpointViewSet, basename="endpoint")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    "attribute-definitions", AttributeDefinitionViewSet, basename="attribute-definition"
)
router.register("saved-views", SavedViewViewSet, basename="saved-view")
router.register("articles", ArticleViewSet, basename="article")
router.register("macros", MacroViewSet, basename="macro")
router.register("notifications", NotificationViewSet, basename="notification")
router.register(
    "notification-templates", NotificationTemplateViewSet, basename="notification-template"
)

urlpatterns = [
    path("audit/", AuditLogView.as_view(), name="api-audit"),
    path("customers/<int:pk>/export/", CustomerExportView.as_view(), name="api-customer-export"),
    path("customers/<int:pk>/erase/", CustomerEraseView.as_view(), name="api-customer-erase"),
    path("retention/dry-run/", RetentionDryRunView.as_view(), name="api-retention-dry-run"),
    path("inbound/", InboundView.as_view(), name="api-inbound"),
    path(
        "conversations/<str:pk>/messages/",
        ConversationMessagesView.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:pk>/scheduled-replies/",
        ScheduledRepliesView.as_view(),
        name="api-scheduled-replies",
    ),
    path(
        "conversations/<int:pk>/scheduled-replies/<int:reply_id>/",
        ScheduledReplyView.as_view(),
        name="api-scheduled-reply",
    ),
    path("notifications/bulk/", BulkNotificationView.as_view(), name="api-notifications-bulk"),
    path(
        "notifications/bulk/<int:pk>/", BulkSendView.as_view(), name="api-notifications-bulk-send"
    ),
    path("me/status/", MyStatusView.as_view(), name="api-my-status"),
    path("me/preferences/", MyPreferencesView.as_view(), name="api-my-preferences"),
    path("reports/", ReportIndexView.as_view(), name="api-reports"),
    path("reports/self-service/", SelfServiceReportView.as_view(), name="api-report-self-service"),
    path("reports/<slug:name>/", ReportView.as_view(), name="api-report"),
    path("", include(router.urls)),
]
