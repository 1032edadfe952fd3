"""The public, login-free CSAT survey page: the token in the link is the credential."""

from django.urls import path

from reporting import views

urlpatterns = [path("<str:token>/", views.csat_survey, name="csat-survey")]
