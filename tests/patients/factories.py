"""Patient factories, with traits for the identity states the tests need."""

from __future__ import annotations

import datetime as dt

import factory

from maille.patients.models import IdentityStatus, Patient

# A NIR whose key (97 − NIR mod 97) is right: a valid INS number, fictional.
_NIR_BODY = "1500599123456"
VALID_NIR = _NIR_BODY + f"{97 - int(_NIR_BODY) % 97:02d}"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    last_name = factory.Sequence(lambda n: f"Patient{n}")
    first_name = "Camille"
    birth_date = dt.date(1950, 5, 17)
    phone = "+33612345678"

    class Params:
        # Identity checked against the national INS service (the NIR and a qualified status).
        qualified = factory.Trait(nir=VALID_NIR, identity_status=IdentityStatus.QUALIFIED)
        # Known by a phone number only, as an operator creates them while talking.
        phone_only = factory.Trait(last_name="", first_name="", birth_date=None)
        fictional = factory.Trait(is_fictional=True)
