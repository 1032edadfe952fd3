from django.urls import path

from intake.widget import views

app_name = "widget"

urlpatterns = [
    path("<slug:key>.js", views.widget_script, name="script"),
    path("<slug:key>/config", views.widget_config, name="config"),
    path("<slug:key>/upload", views.widget_upload, name="upload"),
    path("<slug:key>/files/<str:token>", views.widget_attachment, name="attachment"),
]
