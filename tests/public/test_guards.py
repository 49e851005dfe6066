"""Rate limits per client address and per contact, the code's resends and life, the commune finder, and
the retention of unfinished requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.core.models import RateCounter
from maille.notifications.models import Message, MessageKind
from maille.public.models import PublicBooking, PublicBookingState
from maille.public.places import communes_matching, normalised
from maille.public.ratelimits import RateLimited, rate_counters_forget, rate_hit
from maille.public.services import public_bookings_forget
from maille.scheduling.models import Appointment, AppointmentStatus
from tests.factories import CommuneFactory

from .support import PERSON, chosen, first_slot, hold, last_code, text

pytestmark = pytest.mark.django_db


def test_holds_are_limited_per_client_address(client, net, settings):
    settings.PUBLIC_RATE_LIMITS = {**settings.PUBLIC_RATE_LIMITS, "hold_per_address": (2, 3600)}
    assert hold(client, net, first_slot(net, index=0)).status_code == 302
    assert hold(client, net, first_slot(net, index=1)).status_code == 302
    refused = hold(client, net, first_slot(net, index=2))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de demandes" in text(refused)
    # another address is not affected
    other = client.__class__(REMOTE_ADDR="192.0.2.7")
    assert hold(other, net, first_slot(net, index=3)).status_code == 302
    # counters hold no address
    assert not RateCounter.objects.filter(key__contains="127.0.0.1").exists()


def test_codes_are_limited_per_phone_number_across_browsers(net, settings):
    from django.test import Client

    settings.PUBLIC_RATE_LIMITS = {**settings.PUBLIC_RATE_LIMITS, "code_per_contact": (2, 3600)}
    statuses = []
    for index in range(3):
        browser = Client(REMOTE_ADDR=f"192.0.2.{index + 1}")
        url = hold(browser, net, first_slot(net, index=index))["Location"]
        statuses.append(browser.post(url, {"action": "send", **PERSON}).status_code)
    assert statuses == [302, 302, 429]
    assert Message.objects.filter(kind=MessageKind.VERIFICATION_CODE).count() == 2


def test_a_code_can_be_sent_again_three_times_at_most(client, net):
    url = hold(client, net)["Location"]
    code_url = client.post(url, {"action": "send", **PERSON})["Location"]
    first = last_code()
    assert client.post(code_url, {"action": "resend"}).status_code == 302
    assert client.post(code_url, {"action": "resend"}).status_code == 302
    refused = client.post(code_url, {"action": "resend"})
    assert refused.status_code == 422
    assert "Trois codes ont déjà été envoyés" in text(refused)
    assert Message.objects.filter(kind=MessageKind.VERIFICATION_CODE).count() == 3
    # only the last code books
    newest = last_code()
    if newest != first:
        assert client.post(code_url, {"action": "check", "code": first}).status_code == 400
    assert client.post(code_url, {"action": "check", "code": newest}).status_code == 302


def test_an_old_code_is_refused_and_a_new_one_asked_for(client, net, settings):
    url = hold(client, net)["Location"]
    code_url = client.post(url, {"action": "send", **PERSON})["Location"]
    PublicBooking.objects.update(
        code_sent_at=timezone.now() - dt.timedelta(minutes=settings.PUBLIC_CODE_MINUTES + 1)
    )
    response = client.post(code_url, {"action": "check", "code": last_code()})
    assert response.status_code == 400
    assert "Ce code a expiré" in text(response)
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()


def test_an_abandoned_request_frees_its_slot_and_forgets_the_person(client, net):
    url = hold(client, net)["Location"]
    client.post(url, {"action": "send", **PERSON})
    identity = reverse("public:identity", args=[PublicBooking.objects.get().token])
    assert client.post(identity, {"action": "abandon"}).status_code == 302
    booking = PublicBooking.objects.get()
    assert booking.state == PublicBookingState.ABANDONED
    assert booking.last_name == ""
    assert booking.contact == ""
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED


def test_a_request_token_opens_nothing_in_another_browser(client, net):
    url = hold(client, net)["Location"]
    stranger = client.__class__()
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"action": "send", **PERSON}).status_code == 404


def test_unfinished_requests_are_forgotten_after_a_day(client, net):
    url = hold(client, net)["Location"]
    client.post(url, {"action": "send", **PERSON})
    assert public_bookings_forget() == 0
    PublicBooking.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    assert public_bookings_forget() == 1
    booking = PublicBooking.objects.get()
    assert (booking.state, booking.last_name, booking.contact, booking.birth_date) == (
        "abandoned",
        "",
        "",
        None,
    )


def test_rate_counters_count_in_windows_and_are_forgotten(settings):
    settings.PUBLIC_RATE_LIMITS = {"test": (2, 60)}
    moment = dt.datetime(2026, 12, 4, 10, 0, 5, tzinfo=dt.UTC)
    rate_hit("test", "a", now=moment)
    rate_hit("test", "a", now=moment)
    with pytest.raises(RateLimited) as refused:
        rate_hit("test", "a", now=moment)
    assert 0 < refused.value.retry_after_seconds <= 60
    rate_hit("test", "b", now=moment)  # another key
    rate_hit("test", "a", now=moment + dt.timedelta(minutes=1))  # the next window
    assert rate_counters_forget(now=moment + dt.timedelta(days=3)) == 3


def test_communes_are_found_by_postcode_code_or_name():
    CommuneFactory(code="55463", name="Saint-Mihiel", postal_codes=["55300"], population=4000)
    CommuneFactory(code="55354", name="Lérouville", postal_codes=["55200"], population=1400)
    CommuneFactory(code="55029", name="Bar-le-Duc", postal_codes=["55000"], population=15000)
    CommuneFactory(code="55030", name="Savonnières-devant-Bar", postal_codes=["55000"], population=500)
    assert [c.code for c in communes_matching("55300")] == ["55463"]
    assert [c.code for c in communes_matching("55000")] == ["55029", "55030"]  # most populous first
    assert [c.code for c in communes_matching("55354")] == ["55354"]  # an INSEE code
    assert [c.code for c in communes_matching("LEROUVILLE")] == ["55354"]
    assert [c.code for c in communes_matching("st-mihiel")] == ["55463"]
    assert [c.code for c in communes_matching("Sav")] == ["55030"]  # a beginning
    assert communes_matching("Zz") == []
    assert communes_matching("99999") == []
    assert normalised("  Sainte-Ménehould ") == "sainte menehould" == normalised("STE MENEHOULD")


def test_the_slot_page_shares_every_site_s_times_for_a_few_seconds(client, net, settings):
    from maille.public import slots as public_slots
    from maille.scheduling.services import appointment_hold

    settings.PUBLIC_SLOTS_CACHE_SECONDS = 60
    public_slots.forget_cached_slots()
    url = f"{reverse('public:slots')}?usage={net.use.pk}&commune={net.site.commune.code}"

    def times() -> list[str]:
        return re.findall(r'name="creneau" value="([^"]+)"', text(client.get(url)))

    first = times()
    assert first
    slot = first_slot(net)
    from maille.core.models import Channel

    appointment_hold(actor=None, channel=Channel.PHONE, use=net.use, site=net.site, starts_at=slot.starts_at)
    assert times() == first  # the same list for the cache's life
    # choosing the slot now taken says so, with the next free ones
    taken = hold(client, net, slot)
    assert taken.status_code == 409
    public_slots.forget_cached_slots()
    assert chosen(slot) in first
    assert chosen(slot) not in times()  # recomputed: the held time is gone


@pytest.mark.django_db(transaction=True)  # the refresh thread has its own connection: committed data
def test_an_expired_snapshot_answers_while_a_background_thread_refreshes_it(net, settings, monkeypatch):
    import threading

    from maille.public import slots as public_slots

    settings.PUBLIC_SLOTS_CACHE_SECONDS = 10
    public_slots.forget_cached_slots()
    first = public_slots._snapshot(net.use, None, 6)
    assert public_slots._snapshot(net.use, None, 6) is first  # fresh: reused
    clock = public_slots.time.monotonic() + 11
    monkeypatch.setattr(public_slots.time, "monotonic", lambda: clock)
    computing, release = threading.Event(), threading.Event()
    real_compute = public_slots._compute

    def slow_compute(*args):
        computing.set()
        release.wait(10)
        return real_compute(*args)

    monkeypatch.setattr(public_slots, "_compute", slow_compute)
    assert public_slots._snapshot(net.use, None, 6) is first  # expired: answered at once, refresh started
    assert computing.wait(10)
    assert public_slots._snapshot(net.use, None, 6) is first  # still refreshing: no second computation
    assert len(public_slots._refreshing) == 1
    release.set()
    for thread in threading.enumerate():
        if thread.name != threading.current_thread().name and thread.daemon and thread.is_alive():
            thread.join(10)
    assert not public_slots._refreshing
    monkeypatch.setattr(public_slots.time, "monotonic", lambda: clock + 1)
    assert public_slots._snapshot(net.use, None, 6) is not first  # the refreshed one
