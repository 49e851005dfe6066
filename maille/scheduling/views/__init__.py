"""Scheduling pages: agendas (site and doctor weeks), the staff booking form, the appointment page."""

from .agendas import agenda_index, doctor_agenda, site_agenda
from .appointments import appointment_detail
from .booking import book, book_slots, patient_search
from .day import day_action, doctor_day, doctor_day_list, site_day, site_day_list
from .waitlist import waitlist, waitlist_enrol

__all__ = [
    "agenda_index",
    "appointment_detail",
    "book",
    "book_slots",
    "day_action",
    "doctor_day",
    "doctor_day_list",
    "doctor_agenda",
    "patient_search",
    "site_agenda",
    "site_day",
    "site_day_list",
    "waitlist",
    "waitlist_enrol",
]
