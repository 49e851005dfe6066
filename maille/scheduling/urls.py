from django.urls import path

from . import views

app_name = "scheduling"
urlpatterns = [
    path("", views.agenda_index, name="index"),
    path("sites/<int:site_id>/", views.site_agenda, name="site_agenda"),
    path("medecins/", views.doctor_agenda, name="doctor_agenda"),
    path("reserver/", views.book, name="book"),
    path("reserver/creneaux/", views.book_slots, name="book_slots"),
    path("reserver/patients/", views.patient_search, name="patient_search"),
    path("rendez-vous/<int:appointment_id>/", views.appointment_detail, name="appointment"),
]
