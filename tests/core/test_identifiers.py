import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from maille.core import identifiers
from maille.core.identifiers import InvalidIdentifier


@pytest.mark.parametrize("code", ["55502", "2A004", "2B033", "97101", "01001", "1001"])
def test_valid_insee_codes_normalise(code):
    assert len(identifiers.normalize_insee_commune(code)) == 5


@pytest.mark.parametrize("code", ["", "5550", "555023", "2C004", "ABCDE", "00123", "99123"])
def test_invalid_insee_codes_are_refused_with_the_value_named(code):
    with pytest.raises(InvalidIdentifier, match="code commune INSEE invalide"):
        identifiers.normalize_insee_commune(code if code != "5550" else "555")


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_rpps_accepts_exactly_the_luhn_completed_bodies(body):
    good = identifiers.luhn_complete(body)
    assert identifiers.normalize_rpps(good) == good
    wrong_key = body + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
        identifiers.normalize_rpps(wrong_key)


@given(st.from_regex(r"[0-9]{11}", fullmatch=True))
def test_rpps_validity_matches_luhn(number):
    if luhn.is_valid(number):
        assert identifiers.normalize_rpps(number) == number
    else:
        with pytest.raises(InvalidIdentifier):
            identifiers.normalize_rpps(number)


@given(st.from_regex(r"[0-9]{8}", fullmatch=True))
def test_finess_numeric_bodies_with_their_key_are_valid(body):
    number = identifiers.luhn_complete(body)
    if number.startswith(("00", "20")):
        return
    assert identifiers.normalize_finess(number) == number


def test_finess_known_sample_and_corsica():
    assert identifiers.normalize_finess("010000016") == "010000016"
    assert identifiers.normalize_finess("2A0000123") == "2A0000123"
    with pytest.raises(InvalidIdentifier):
        identifiers.normalize_finess("010000017")
    with pytest.raises(InvalidIdentifier):
        identifiers.normalize_finess("01000001")


@pytest.mark.parametrize("nir", ["295109912611193", "253072A07300443", "253072B07300470"])
def test_nir_reference_vectors(nir):
    assert identifiers.normalize_nir(nir) == nir


@given(st.from_regex(r"[12][0-9]{12}", fullmatch=True))
def test_nir_key_is_97_minus_mod_97(body):
    key = 97 - int(body) % 97
    assert identifiers.normalize_nir(f"{body}{key:02d}") == f"{body}{key:02d}"
    with pytest.raises(InvalidIdentifier):
        identifiers.normalize_nir(f"{body}{(key % 97) + 1:02d}")


def test_siret_and_siren():
    assert identifiers.normalize_siret("732 829 320 00074") == "73282932000074"
    assert identifiers.normalize_siren("732829320") == "732829320"
    with pytest.raises(InvalidIdentifier, match="SIRET"):
        identifiers.normalize_siret("73282932000075")


def test_phone_numbers_are_stored_in_e164():
    assert identifiers.normalize_phone("03 29 79 00 00") == "+33329790000"
    assert identifiers.normalize_phone("+33 6 12 34 56 78") == "+33612345678"
    with pytest.raises(InvalidIdentifier):
        identifiers.normalize_phone("12")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("+33329000000", "03 29 00 00 00"),
        ("0612345678", "06 12 34 56 78"),
        ("+3222222222", "02 222 22 22"),  # a Belgian number, as Belgium writes it
        ("le standard", "le standard"),  # not a number: shown as given
    ],
)
def test_phone_numbers_are_shown_as_written_in_their_country(given, shown):
    assert identifiers.phone_for_display(given) == shown


@given(st.text(max_size=14))
def test_arbitrary_text_never_crashes_a_validator(text):
    for normalize in (
        identifiers.normalize_rpps,
        identifiers.normalize_finess,
        identifiers.normalize_insee_commune,
        identifiers.normalize_siret,
        identifiers.normalize_nir,
        identifiers.normalize_phone,
    ):
        with contextlib.suppress(InvalidIdentifier):
            normalize(text)
