"""Numbers as people write them: 1,400 / 40 000 / 30'000 / 2.5 / 80k / 1.2M / 1,2 Mio. / twelve /
a dozen / seventy-five."""

from __future__ import annotations

import re

WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "a couple": 2,
    "a couple of": 2,
    "couple of": 2,
    "three": 3,
    "few": 4,  # "in a few months" reads as more than a couple
    "a few": 4,
    "four": 4,
    "five": 5,
    "six": 6,
    "several": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "a dozen": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "twenty-four": 24,
    "thirty": 30,
    "thirty-six": 36,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "half a": 0.5,
}
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# "twenty-five", "seventy five": tried before the single words, so "five" alone never wins.
_COMPOUND = rf"(?:{'|'.join(_TENS)})[- ](?:{'|'.join(_UNITS)})\b"
# Longest first so "a couple of" wins over "a".
WORD_NUMBER = (
    _COMPOUND + "|" + "|".join(sorted((re.escape(w) for w in WORD_NUMBERS), key=len, reverse=True))
)

MULTIPLIERS = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "grand": 1e3,
    "m": 1e6,
    "M": 1e6,
    "mm": 1e6,
    "MM": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "B": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "lakh": 1e5,
    "lakhs": 1e5,
    "lac": 1e5,
    "crore": 1e7,
    "crores": 1e7,
    # Local abbreviations, as written after a number: "1,2 Mio. EUR", "50 Tsd. €", "1 Mrd.",
    # "R$ 1,5 milhão". The dot is part of the word, so the amount's currency can follow it.
    "tsd": 1e3,
    "tsd.": 1e3,
    "tausend": 1e3,
    "mio": 1e6,
    "mio.": 1e6,
    "mln": 1e6,
    "mln.": 1e6,
    "millionen": 1e6,
    "milhão": 1e6,
    "milhões": 1e6,
    "millón": 1e6,
    "millones": 1e6,
    "miljoen": 1e6,
    "mrd": 1e9,
    "mrd.": 1e9,
    "milliarden": 1e9,
}
MULTIPLIER = (
    r"(?:tsd\.?|tausend|mio\.?|mln\.?|millionen|milhão|milhões|millón|millones|miljoen|mrd\.?|"
    r"milliarden|k|K|thousand|grand|mm|MM|mil|millions?|bn|billion|lakhs?|lac|crores?|m|M|b|B)"
    r"(?![a-zA-Z])"
)

# Digits with optional thousands separators (comma, space, dot) and decimals.
DIGITS = (
    r"\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])"  # Indian grouping: 4,00,000
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])"
    r"|\d{1,3}(?:['’]\d{3})+(?:[.,]\d+)?"  # Swiss grouping: 30'000, 1'250'000.50
    r"|\d{1,3}(?:\.\d{3})+,\d{1,2}(?!\d)"  # European decimals: 85.000,00
    r"|\d{1,3}(?:\.\d{3}){2,}(?![\d,])"
    r"|\d+(?:[.,]\d+)?"
)
RANGE_DASH = r"\s*(?:-|–|—|to|and|or)\s*"
CURRENCY_SYMBOL = r"(?:us|ca|au|nz|sg|hk|a|c|s|r|mx)?[$€£¥₹]"  # lowercase text; r$ is BRL

_PLAIN = re.compile(rf"[-+]?(?:{DIGITS})")
_SCALED = re.compile(rf"(?P<num>{DIGITS})\s?(?P<mult>{MULTIPLIER})?")


def to_float(digits: str) -> float | None:
    """'1,400' -> 1400, '40 000' -> 40000, '2.5' -> 2.5, '2,5' -> 2.5, '1.200.000' -> 1200000,
    '85.000,50' -> 85000.5, "30'000" -> 30000."""
    raw = digits.replace("'", "").replace("’", "")
    raw = raw.replace("\u00a0", " ").replace("\u202f", " ").replace(" ", "")
    sign = -1.0 if raw.startswith("-") else 1.0
    raw = raw.lstrip("+-")
    if "," in raw and "." in raw:  # the last separator is the decimal one
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif raw.count(".") > 1:
        raw = raw.replace(".", "")
    elif "," in raw:
        whole, _, tail = raw.rpartition(",")
        raw = raw.replace(",", "") if len(tail) == 3 else f"{whole.replace(',', '')}.{tail}"
    try:
        return sign * float(raw)
    except ValueError:
        return None


_DOTTED_THOUSANDS = re.compile(r"\d{1,3}\.\d{3}")


def to_count(digits: str) -> float | None:
    """`to_float` for things counted in wholes (people): '1.500' is 1,500 as Europeans write
    it, since nobody has 1.5 employees."""
    if _DOTTED_THOUSANDS.fullmatch(digits):
        digits = digits.replace(".", "")
    return to_float(digits)


def scaled(digits: str, multiplier: str | None) -> float | None:
    """A number with its optional k/M/bn/thousand/million multiplier applied."""
    value = to_float(digits)
    if value is None:
        return None
    return value * MULTIPLIERS[multiplier] if multiplier else value


def range_low(low: float, low_multiplier: str | None, high: float, high_multiplier: str | None):
    """The low end of 'A-B': '$20-30k' is 20k (B's multiplier carries over), '$500-1M' is 500."""
    if low_multiplier:
        return low * MULTIPLIERS[low_multiplier]
    if high_multiplier and low * MULTIPLIERS[high_multiplier] <= high:
        return low * MULTIPLIERS[high_multiplier]
    return low


def word_number(word: str) -> float | None:
    """'twelve' -> 12, 'a dozen' -> 12, 'seventy-five' -> 75."""
    folded = word.casefold()
    value = WORD_NUMBERS.get(folded)
    if value is None and re.fullmatch(_COMPOUND, folded):
        tens, units = re.split(r"[- ]", folded)
        value = WORD_NUMBERS[tens] + WORD_NUMBERS[units]
    return value


_FIELD_NUMBER = re.compile(
    rf"(?P<sign>[-+])?(?P<num>{DIGITS})\s?(?P<mult>{MULTIPLIER})?"
    rf"(?:{RANGE_DASH}(?:{CURRENCY_SYMBOL}\s?)?(?P<num2>{DIGITS})\s?(?P<mult2>{MULTIPLIER})?)?"
    r"(?P<plus>\s*\+)?"
)


def parse_field_number(value: str, *, high_end: bool = False, whole: bool = False) -> float | None:
    """A form or CSV number: '5', '2.5', '-1', '1,200', '10k', '5000+'; a range gives its low
    end ('201-500' -> 201), or its high end with `high_end` (timelines: '3-6' -> 6). `whole`
    (counts of people) reads '8.000+' as 8,000."""
    value = value.lower()
    match = _FIELD_NUMBER.search(value)
    if not match:
        return None
    if whole and not match["mult"] and _DOTTED_THOUSANDS.fullmatch(match["num"]):
        value = (
            value[: match.start("num")] + match["num"].replace(".", "") + value[match.end("num") :]
        )
        match = _FIELD_NUMBER.search(value)
        if not match:
            return None
    low = to_float(match["num"])
    if low is None:
        return None
    if match["num2"]:
        high = scaled(match["num2"], match["mult2"])
        low = range_low(low, match["mult"], high, match["mult2"]) if high is not None else low
        if high is not None and high >= low:
            return high if high_end else low
    low = scaled(match["num"], match["mult"])
    negative = match["sign"] == "-" and not value[: match.start()].strip()
    return -low if negative else low
