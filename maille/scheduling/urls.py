from django.urls import path

from . import views

app_name = "scheduling"
urlpatterns = [
    path("", views.agenda_index, name="index"),
    path("sites/<int:site_id>/", views.site_agenda, name="site_agenda"),
    path("sites/<int:site_id>/journee/", views.site_day, name="site_day"),
    path("sites/<int:site_id>/journee/liste/", views.site_day_list, name="site_day_list"),
    path("medecins/journee/", views.doctor_day, name="doctor_day"),
    path("medecins/journee/liste/", views.doctor_day_list, name="doctor_day_list"),
    path("rendez-vous/<int:appointment_id>/action/", views.day_action, name="day_action"),
    path("medecins/", views.doctor_agenda, name="doctor_agenda"),
    path("reserver/", views.book, name="book"),
    path("liste-attente/", views.waitlist, name="waitlist"),
    path("liste-attente/inscrire/", views.waitlist_enrol, name="waitlist_enrol"),
    path("reserver/creneaux/", views.book_slots, name="book_slots"),
    path("reserver/patients/", views.patient_search, name="patient_search"),
    path("rendez-vous/<int:appointment_id>/", views.appointment_detail, name="appointment"),
]
