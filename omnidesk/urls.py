from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from conversations.media_links import public_attachment
from knowledge import urls as knowledge_urls
from omnidesk.views import healthz, javascript_catalogue, metrics_view, readyz

urlpatterns = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The inbox scripts' strings in the request's language (static/js/notifications.js...).
    path("jsi18n/", javascript_catalogue, name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("omnidesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the page needs no inline
    # script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("inbox/queues/", include("routing.urls")),
    path("inbox/macros/", include("macros.urls")),
    path("inbox/outreach/", include("outreach.inbox_urls")),
    path("inbox/workspace/", include("workspace.urls")),
    path("outreach/", include("outreach.urls")),
    path("inbox/", include("conversations.urls")),
    path("reports/self-service/", include("bot.urls")),
    path("reports/", include("reporting.urls")),
    path("audit/", include("audit.urls")),
    path("csat/", include("reporting.public_urls")),
    path("hooks/", include("intake.urls")),
    # Signed, expiring links providers fetch a reply's file from (Twilio MMS, Instagram).
    path("files/<str:token>/<str:filename>", public_attachment, name="media-link"),
    path("widget/", include("intake.widget.urls")),
    path("help/", include(knowledge_urls.help_urlpatterns)),
    path("knowledge/", include(knowledge_urls.editor_urlpatterns)),
]

# Stored files are never served from MEDIA_URL, not even in DEBUG: attachments leave only
# through views that check who asks (the inbox's, the widget's signed links).
