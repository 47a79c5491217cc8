"""Money as it is written around the world, read in a sentence and as a form value."""

from __future__ import annotations

import pytest

from qualifiers.extract.money import parse_money
from qualifiers.extract.numbers import parse_field_number, word_number
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead

LOCAL_FORMATS = [
    ("1,2 Mio. EUR", 1_200_000),
    ("1,5 Mio.", 1_500_000),
    ("2,5 Mio. €", 2_500_000),
    ("€ 1,2 Mio.", 1_200_000),
    ("5 Mio. CHF", 5_000_000),
    ("1 Mrd. EUR", 1_000_000_000),
    ("1.2 mln", 1_200_000),
    ("70.000 EUR", 70_000),
    ("EUR 70.000", 70_000),
    ("€85.000", 85_000),
    ("€85.000,00", 85_000),
    ("1.234.567,89 €", 1_234_567.89),
    ("1.200.000 EUR", 1_200_000),
    ("45 000 €", 45_000),
    ("45\u00a0000 €", 45_000),
    ("CHF 30'000", 30_000),
    ("CHF 1'250'000", 1_250_000),
    ("CHF 30’000", 30_000),
    ("R$ 40 mil", 40_000),
    ("R$ 200 mil", 200_000),
    ("R$ 1,5 milhão", 1_500_000),
    ("100 mil pesos", 100_000),
    ("$1.2M", 1_200_000),
    ("$1,234.56", 1234.56),
    ("twenty thousand dollars", 20_000),
    ("twenty-five thousand dollars", 25_000),
    ("seventy five thousand euros", 75_000),
    ("50 Tsd. EUR", 50_000),
    ("30 Tsd. €", 30_000),
    ("80 k€", 80_000),
    ("80k€", 80_000),
    ("12,50 €", 12.5),
]


@pytest.mark.parametrize(("written", "expected"), LOCAL_FORMATS)
def test_a_budget_in_a_sentence(default_rubric, written, expected):
    lead = Lead(text=f"Hello, our budget for this project is {written}. Thanks!")
    extraction, _ = OfflineExtractor().extract(lead, default_rubric)
    assert extraction.answers["budget"].value == expected
    assert written.split()[-1] in extraction.answers["budget"].evidence


@pytest.mark.parametrize(("written", "expected"), LOCAL_FORMATS)
def test_a_budget_form_value(written, expected):
    assert parse_money(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [("2 Tsd.", 2_000), ("1,5 Mio", 1_500_000), ("1'200", 1_200), ("twelve", None)],
)
def test_field_numbers_take_the_same_multipliers(written, expected):
    assert parse_field_number(written) == expected


def test_compound_number_words():
    assert word_number("twenty-five") == 25
    assert word_number("Ninety nine") == 99
    assert word_number("twenty") == 20
    assert word_number("twenty-ten") is None


def test_revenue_in_a_local_format_is_still_not_a_budget(default_rubric):
    lead = Lead(text="Wir machen 12 Mio. EUR Umsatz; revenue 12 Mio. EUR. Budget ist offen.")
    extraction, _ = OfflineExtractor().extract(lead, default_rubric)
    assert "budget" not in extraction.answers or extraction.answers["budget"].value != 12e6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maximum contract value: 95.000 € (net, 3 years)", 95_000),  # a tender's value
        ("Wir haben etwa 3.000 € im Jahr dafür eingeplant.", 3_000),
        ("Es stehen 15.000 € zur Verfügung.", 15_000),
        ("Funding: Not to exceed $45,000 (first year incl. implementation).", 45_000),
        ("Estimated value: £120,000 (excluding VAT) over a 3-year term", 120_000),
        ("boss gave me $3k to find something this quarter", 3_000),
        ("Temos R$ 40 mil para isso, sem prazo definido.", 40_000),
        ("we hebben ongeveer € 2.500 voor zoiets", 2_500),
    ],
)
def test_money_a_tender_caps_or_a_writer_has_in_any_of_the_languages_is_a_budget(
    default_rubric, text, expected
):
    extraction, _ = OfflineExtractor().extract(Lead(text=text), default_rubric)
    assert extraction.answers["budget"].value == expected
