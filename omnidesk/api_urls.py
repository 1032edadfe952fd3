from django.urls import include, path
from rest_framework.routers import DefaultRouter

from agents.api import MyStatusView
from conversations.api import ConversationMessagesView, ConversationViewSet
from conversations.customers_api import CustomerViewSet, MergeSuggestionViewSet
from intake.api import EndpointViewSet, InboundView
from reporting.api import ReportIndexView, ReportView
from webhooks.api import WebhookViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("merge-suggestions", MergeSuggestionViewSet, basename="merge-suggestion")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("endpoints", EndpointViewSet, basename="endpoint")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("inbound/", InboundView.as_view(), name="api-inbound"),
    path(
        "conversations/<str:pk>/messages/",
        ConversationMessagesView.as_view(),
        name="api-conversation-messages",
    ),
    path("me/status/", MyStatusView.as_view(), name="api-my-status"),
    path("reports/", ReportIndexView.as_view(), name="api-reports"),
    path("reports/<slug:name>/", ReportView.as_view(), name="api-report"),
    path("", include(router.urls)),
]
