"""Validation and normalisation of French health and administrative identifiers.

Every function either returns the normalised value or raises ``InvalidIdentifier`` with a message
that names what is wrong; none of them "repairs" a wrong key (a typo must never become a valid,
fictitious number).
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

# FHIR identifier systems (French national OIDs, see docs/data-model.md).
OID_IDNAT_PS = "urn:oid:1.2.250.1.71.4.2.1"  # professional: "8" + RPPS
OID_IDNAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"  # structure: "1" + FINESS or "3" + SIRET
OID_INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
INSEE_COMMUNE_SYSTEM = "https://www.insee.fr/fr/metadonnees/cog/commune"

_SPACES = re.compile(r"[\s.\-]")
# ASCII digits only: str.isdigit() and \d also accept other scripts' digits.
_INSEE_COMMUNE = re.compile(r"^(?:[0-9]{2}|2[AB])[0-9]{3}$")


class InvalidIdentifier(ValueError):
    """An identifier that fails its format or its check key."""


def _compact(value: str) -> str:
    return _SPACES.sub("", str(value)).upper()


def normalize_insee_commune(value: str) -> str:
    """Return a 5-character INSEE commune code (01001, 2A004, 97101…) or raise."""
    code = _compact(value)
    if re.fullmatch(r"[0-9]{4}", code):
        # Spreadsheets drop the leading zero of départements 01-09.
        code = "0" + code
    if not _INSEE_COMMUNE.match(code):
        raise InvalidIdentifier(
            f"code commune INSEE invalide « {value} » : 5 caractères attendus (ex. 55502, 2A004)"
        )
    if code.startswith(("00", "20", "96", "99")):
        raise InvalidIdentifier(f"code commune INSEE invalide « {value} » : département inexistant")
    return code


def departement_of_commune(code: str) -> str:
    """Département code of a commune code (2 characters, 3 overseas)."""
    return code[:3] if code.startswith("97") else code[:2]


def normalize_rpps(value: str) -> str:
    """RPPS: 11 digits with a Luhn key."""
    number = _compact(value)
    if not re.fullmatch(r"[0-9]{11}", number):
        raise InvalidIdentifier(f"numéro RPPS invalide « {value} » : 11 chiffres attendus")
    if not luhn.is_valid(number):
        raise InvalidIdentifier(f"numéro RPPS invalide « {value} » : clé de contrôle incorrecte")
    return number


def normalize_finess(value: str) -> str:
    """FINESS: 9 characters; Luhn-checked when numeric (Corsica's 2A/2B numbers carry no usable key)."""
    number = _compact(value)
    if not re.fullmatch(r"(?:[0-9]{2}|2[AB])[0-9]{7}", number):
        raise InvalidIdentifier(f"numéro FINESS invalide « {value} » : 9 caractères attendus")
    if re.fullmatch(r"[0-9]{9}", number) and not luhn.is_valid(number):
        raise InvalidIdentifier(f"numéro FINESS invalide « {value} » : clé de contrôle incorrecte")
    return number


def normalize_siren(value: str) -> str:
    try:
        return str(stdnum_siren.validate(value))
    except StdnumError as error:
        raise InvalidIdentifier(f"numéro SIREN invalide « {value} » : {_reason(error)}") from error


def normalize_siret(value: str) -> str:
    try:
        return str(stdnum_siret.validate(value))
    except StdnumError as error:
        raise InvalidIdentifier(f"numéro SIRET invalide « {value} » : {_reason(error)}") from error


def normalize_nir(value: str) -> str:
    """NIR / INS matricule: 15 characters with its key (97 − N mod 97, 2A→19, 2B→18)."""
    try:
        return str(stdnum_nir.validate(value))
    except StdnumError as error:
        raise InvalidIdentifier(f"NIR invalide : {_reason(error)}") from error


def normalize_phone(value: str, region: str = "FR") -> str:
    """A phone number in E.164 (+33…); French numbers may be written nationally (06 12 34 56 78)."""
    try:
        parsed = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier(f"numéro de téléphone invalide « {value} »") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier(f"numéro de téléphone invalide « {value} »")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


@functools.lru_cache(maxsize=256)
def phone_for_display(value: str) -> str:
    """A phone number as written in France (03 29 00 00 00), or as given when it cannot be read. For the numbers
    of the booking service and the sites, shown on pages and in every message: kept per process (parsing one
    cost more than composing the rest of a message)."""
    try:
        return str(
            phonenumbers.format_number(
                phonenumbers.parse(value, "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
            )
        )
    except phonenumbers.NumberParseException:
        return value


def is_mobile_phone(value: str) -> bool:
    """A number that can receive an SMS (mobile, or a number whose kind the plan does not tell)."""
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def luhn_complete(body: str) -> str:
    """Append the Luhn key to a numeric body (used to make clearly fake demo numbers)."""
    return body + str(luhn.calc_check_digit(body))


def _reason(error: StdnumError) -> str:
    messages = {
        "InvalidChecksum": "clé de contrôle incorrecte",
        "InvalidLength": "longueur incorrecte",
        "InvalidFormat": "format incorrect",
        "InvalidComponent": "composant invalide",
    }
    return messages.get(type(error).__name__, "format incorrect")
