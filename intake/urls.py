from django.urls import path

from intake.views import webhook

app_name = "hooks"

urlpatterns = [
    path("twilio/<slug:key>/<slug:route>", webhook, {"provider": "twilio"}, name="twilio"),
    path("<slug:provider>/<slug:key>/", webhook, name="webhook"),
]
