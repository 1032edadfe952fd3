from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live_now, name="live"),
    path("csv/<slug:name>.csv", views.dashboard_csv, name="csv"),
]
