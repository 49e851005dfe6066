"""Walking the public booking flow with Django's test client."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from maille.notifications.models import Message, MessageKind
from maille.scheduling.engine import SlotQuery, find_slots

PERSON = {
    "nom": "Martin",
    "prenom": "Jeanne",
    "date_naissance": "1948-03-02",
    "contact": "06 12 34 56 78",
    "consentement": "on",
}


def first_slot(net, *, index: int = 0):
    site = net.site
    return find_slots(
        SlotQuery(use=net.use, latitude=site.latitude, longitude=site.longitude, limit=index + 1)
    )[index]


def chosen(slot) -> str:
    """The value a time button sends: "<site id>_<ISO start>"."""
    return f"{slot.site_id}_{slot.starts_at.isoformat()}"


def hold(client, net, slot=None):
    slot = slot or first_slot(net)
    data = {"usage": net.use.pk, "creneau": chosen(slot), "commune": net.site.commune.code}
    return client.post(reverse("public:hold"), data)


def last_code(recipient: str | None = None) -> str:
    messages = Message.objects.filter(kind=MessageKind.VERIFICATION_CODE)
    if recipient:
        messages = messages.filter(recipient=recipient)
    body = messages.order_by("-pk").values_list("body", flat=True).first()
    assert body, "no code message"
    found = re.search(r"\b(\d{6})\b", body)
    assert found
    return found.group(1)


def book(client, net, *, person=None, slot=None):
    """Hold, give the identity, type the code: the response after the code."""
    response = hold(client, net, slot)
    assert response.status_code == 302, response.content[:500]
    identity_url = response["Location"]
    response = client.post(identity_url, {"action": "send", **(person or PERSON)})
    assert response.status_code == 302, response.content.decode()[:3000]
    code_url = response["Location"]
    return client.post(code_url, {"action": "check", "code": last_code()})


def text(response) -> str:
    """The page's text with entities decoded (Django escapes apostrophes)."""
    return html.unescape(response.content.decode())
