from django.urls import path

from channels_app.views import webhook

app_name = "hooks"

urlpatterns = [
    path("twilio/<slug:key>/<slug:route>", webhook, {"provider": "twilio"}, name="twilio"),
    path("<slug:provider>/<slug:key>/", webhook, name="webhook"),
]
