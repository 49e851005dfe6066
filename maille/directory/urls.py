from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("sites/", views.site_list, name="site_list"),
    path("sites/<int:site_id>/", views.site_detail, name="site_detail"),
]
