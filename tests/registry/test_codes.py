"""Unified social credit code, registration number and ID number rules (DOMAIN.md section 1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.codes import (
    USCC_ALPHABET,
    CodeError,
    classify_query,
    make_uscc,
    normalise_code,
    parse_identity_number,
    parse_registration_number,
    parse_uscc,
    registration_check_digit,
)

DIGITS = "0123456789"
ORG_ALPHABET = DIGITS + "ABCDEFGHJKLMNPQRTUWXY"  # body characters also valid in the USCC alphabet

prefixes = st.builds(
    lambda cat, div, body: cat + div + body,
    st.sampled_from(["11", "12", "51", "52", "53", "91", "92", "93", "Y1"]),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(ORG_ALPHABET, min_size=8, max_size=8),
)


def test_the_standards_worked_example_is_valid():
    parts = parse_uscc("91350100M000100Y43")
    assert parts.category == "91"
    assert parts.division == "350100"


@given(prefixes)
def test_every_generated_valid_code_passes(prefix):
    code = make_uscc(prefix)
    assert parse_uscc(code).code == code


@given(prefixes, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_every_single_character_corruption_fails(prefix, position, replacement):
    code = make_uscc(prefix)
    if code[position] == replacement:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % len(USCC_ALPHABET)]
    corrupted = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(CodeError):
        parse_uscc(corrupted)


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y4I", "alphabet"),
        ("91350100M000100Y44", "check_digit"),
        ("91350100M000100Y53", "organisation_check"),
        ("91AB0100M000100Y43", "division"),
    ],
)
def test_each_failure_names_the_check_that_failed(raw, check):
    with pytest.raises(CodeError) as caught:
        parse_uscc(raw)
    assert caught.value.check == check
    assert caught.value.message


def test_input_is_normalised_before_validation():
    full_width = "９１３５０１００ｍ０００１００ｙ４３"
    assert normalise_code(" 9135 0100m000100y43 ") == "91350100M000100Y43"
    assert parse_uscc(full_width).code == "91350100M000100Y43"
    assert parse_uscc("9135\u30000100M000100Y43").code == "91350100M000100Y43"


@given(st.text(DIGITS, min_size=14, max_size=14), st.integers(0, 14), st.sampled_from(DIGITS))
def test_registration_numbers_check_with_iso_7064(first14, position, digit):
    number = first14 + registration_check_digit(first14)
    assert parse_registration_number(number) == number
    if number[position] != digit:
        corrupted = number[:position] + digit + number[position + 1 :]
        with pytest.raises(CodeError):
            parse_registration_number(corrupted)


def test_a_known_registration_number_passes():
    # ISO 7064 MOD 11,10 on 11010500000000 by hand: the running product ends at 7, and (7 + 4) mod 10 = 1.
    assert registration_check_digit("11010500000000") == "4"
    assert parse_registration_number("110105000000004") == "110105000000004"


def test_identity_number_check_and_no_echo_in_the_message():
    assert parse_identity_number("11010519491231002X") == "11010519491231002X"
    with pytest.raises(CodeError) as caught:
        parse_identity_number("110105194912310021")
    assert "110105" not in caught.value.message


def test_the_search_box_tells_codes_from_names():
    assert classify_query("91350100m000100y43") == "uscc"
    assert classify_query("110105000000004") == "registration_number"
    assert classify_query("华为") == "name"
