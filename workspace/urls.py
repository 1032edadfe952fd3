from django.urls import path

from workspace import views

app_name = "workspace"

urlpatterns = [
    path("saved-views/bar/", views.saved_views_bar, name="bar"),
    # GET: the tabs alone (polled); POST: save the list on screen as a view.
    path("saved-views/", views.saved_views, name="tabs"),
    path("saved-views/<int:view_id>/delete/", views.delete_saved_view, name="delete_view"),
    path(
        "c/<int:conversation_id>/customer-attributes/",
        views.customer_attributes,
        name="customer_attributes",
    ),
    path(
        "c/<int:conversation_id>/conversation-attributes/",
        views.conversation_attributes,
        name="conversation_attributes",
    ),
]
