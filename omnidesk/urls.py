from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from omnidesk.views import healthz, metrics_view, readyz

urlpatterns = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("omnidesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the page needs no inline
    # script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("inbox/queues/", include("routing.urls")),
    path("inbox/", include("conversations.urls")),
    path("reports/", include("reporting.urls")),
    path("csat/", include("reporting.public_urls")),
    path("hooks/", include("intake.urls")),
    path("widget/", include("intake.widget.urls")),
]

# Stored files are never served from MEDIA_URL, not even in DEBUG: attachments leave only
# through views that check who asks (the inbox's, the widget's signed links).
