"""The public survey page (no login): a link answers once."""

from django.urls import path

from . import views_surveys

app_name = "avis"
urlpatterns = [path("<str:token>/", views_surveys.answer, name="answer")]
