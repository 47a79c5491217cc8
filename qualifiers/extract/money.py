"""Money in its common spellings, and which amount is the lead's budget.

An amount counts only in a budget context ("budget", "spend", "approved", "up to", a
`Budget:` line), and a nearer revenue/funding/price word vetoes it, so "$5M ARR" or "we raised
$10M" never becomes a budget. Ranges count at their low end; other currencies at face value.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from qualifiers.extract.numbers import (
    CURRENCY_SYMBOL,
    DIGITS,
    MULTIPLIER,
    MULTIPLIERS,
    WORD_NUMBER,
    range_low,
    to_float,
    word_number,
)
from qualifiers.extract.text import Clauses, Found

CURRENCY_CODE = (
    r"(?:usd|eur|gbp|cad|aud|nzd|chf|sek|nok|dkk|jpy|inr|sgd|hkd|zar|brl|mxn|pln|aed|cny|ils)"
)
CURRENCY_WORD = (
    r"(?:dollars?|bucks|euros?|pounds?|quid|rupees?|francs?|kronor|krona|yen|reais|pesos|reales)"
)

CURRENCY_AFTER = r"[$€£¥₹]|(?:kr|zł|r\$)(?![\w$])"  # "20.000 €", "15 000 kr"
# Where "mil" means thousand (Portuguese/Spanish: "R$ 40 mil"), not the English slang million.
_THOUSAND_MIL = re.compile(r"r\$|brl|mxn|ars|cop|clp|reais|pesos|euros?|€")

_AMOUNT = re.compile(
    rf"(?<![\w.,])(?P<pre>{CURRENCY_SYMBOL}\s?|{CURRENCY_CODE}\s?)?"
    rf"(?P<num>{DIGITS})(?![\d])"
    rf"(?:\s?(?P<mult>{MULTIPLIER}))?"
    rf"(?:\s?(?P<post>{CURRENCY_CODE}\b|{CURRENCY_WORD}\b|{CURRENCY_AFTER}))?"
)
# "a few thousand", "fifty thousand dollars", "two million": amounts spelled in words.
_WORD_AMOUNT = re.compile(
    rf"(?<![\w])(?P<pre>)(?P<word>{WORD_NUMBER})[ -](?P<mult>thousand|grand|million|k)\b"
    rf"(?:\s?(?P<post>{CURRENCY_CODE}|{CURRENCY_WORD})\b)?"
)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|and|or|/|y|e|et|und|bis|en|tot|à|a)\s*$")
# What follows a number that makes it a count, a rate or a date rather than an amount of money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:%|percent|x\b|\+?\s*(?:users|employees|people|staff|customers|clients|visitors|leads|"
    r"records|rows|contacts|emails|subscribers|followers|downloads|units|items|skus|orders|"
    r"transactions|requests|calls|tickets|seats|licen[cs]es|members|students|patients|miles|km|"
    r"words|hours|hrs|days|weeks|months|years|yrs|sq|square|locations|stores|sites|agents|reps|"
    r"engineers|developers|vehicles|trucks|beds|properties|units|accounts|devices|endpoints|"
    r"servers|per cent|pages|documents|invoices|shipments|messages|sms|minutes|person|strong))",
)
_PHONE = re.compile(
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]\d{3,4}(?!\d)"
)
_EUROPEAN_THOUSANDS = re.compile(r"\d{1,3}\.\d{3}$")
_YEAR = re.compile(r"(?:19|20)\d\d$")

BUDGET_CONTEXT = re.compile(
    r"\bbudget(?:s|ed|ing)?\b|\bbdgt\b|\b(?:we'?re|we are|i'?m|i am) thinking\b|"
    r"\b(?:can|could|will|would) put\b|\btowards? (?:this|it|that|a solution|the project)\b|"
    r"\bspend(?:ing)?\b|\ballocat\w*|\bfor (?:this|it|that)\b|"
    r"\b(?:we|i|to|can|could|will|plan to|ready to|willing to)\s+(?:\w+\s+)?invest\b|"
    r"\binvestment of\b|\b(?:we|i) have\b|\bwe'?ve got\b|"
    r"\bhave(?= (?:about |around |roughly |approx\.? |~)?[$€£¥₹\d])|"
    r"\bset aside\b|\bearmark\w*|\bapproved\b|\bsigned off\b|\bsign-off\b|\bafford\b|"
    r"\bwilling to (?:pay|spend|go)\b|\bable to (?:pay|spend)\b|\bcan (?:pay|spend|go up to)\b|"
    r"\bprice range\b|\bup to\b|\bceiling\b|\bcapped\b|\bfunds? (?:for|available)\b|"
    r"\bfunding for this\b|\bfor this (?:project|initiative|purchase|tool)\b|"
    # a tender's or RFP's value of the contract
    r"\b(?:estimated |maximum |max\.? |total )?contract value\b|\bauftragswert\b|"
    r"\bopdrachtwaarde\b|\bvalor (?:estimado|del contrato|do contrato)\b|"
    r"\bvaleur (?:estimée|du marché)\b|\beingeplant\b|\bestimated (?:deal |contract )?value\b|"
    r"\bnot to exceed\b|\b(?:gave|given) (?:me|us)\b|\b(?:we|i) can do\b|\bwe'?d have\b|"
    r"\bzur verfügung\b|\bdisponibles?\b|\bdisponíve(?:l|is)\b|"
    r"\b(?:voor een oplossing|für eine lösung|pour une solution|para una solución|"
    r"para uma solução|para isso|para esto|voor zoiets|dafür)\b|"
    # "wir haben etwa 3.000 €", "temos R$ 40 mil", "we hebben ongeveer € 2.500"
    r"\b(?:haben|hebben|temos|tenemos|avons)(?= (?:etwa |ca\.? |rund |ungefähr |ongeveer |"
    r"cerca de |unos |environ )?(?:r\$ ?|us\$ ?)?[$€£\d])|"
    r"\bworth (?:paying|spending)\b|\bplan to pay\b|"
    # the same in the other languages leads arrive in
    r"\bpresupuest\w*|\bor[çc]amento\b|\bbudgetiert\b|\breserviert\b|\bgereserveerd\b|"
    r"\breservad[oa]s?\b|\bréservée?s?\b|\bprévue?s?\b|\baprobad[oa]s?\b|\baprovad[oa]s?\b|"
    r"\bgenehmigt\b|\bgoedgekeurd\b|\bapprouvée?\b|\bvorgesehen\b|\bbeschikbaar\b",
)
MONEY_DISTRACTORS = (
    r"revenue",
    r"arr",
    r"mrr",
    r"turnover",
    r"(?:annual |yearly )?sales",
    r"raised",
    r"rais(?:e|ing)",
    r"funding round",
    r"round",
    r"series [a-f]",
    r"seed",
    r"valuation",
    r"valued",
    r"profits?",
    r"earnings",
    r"ebitda",
    r"gmv",
    r"payroll",
    r"salar(?:y|ies)",
    r"per hour",
    r"an hour",
    r"hourly",
    r"save[sd]?",
    r"saving",
    r"savings",
    r"lost",
    r"losing",
    r"lose",
    r"fine[sd]?",
    r"penalt(?:y|ies)",
    r"worth",
    r"market cap",
    r"aum",
    r"under management",
    r"net worth",
    r"loan",
    r"grant",
    r"deal size",
    r"contracts? (?:worth|value)",
    r"bills?",
    r"invoices?",
    r"transactions?",
    r"quoted",
    r"fees?",
    r"quote",
    r"charg(?:e|es|ed|ing)",
    r"costs? us",
    r"cheaper",
    r"competitor",
)


def distractor_pattern(exclude: str = "") -> re.Pattern[str]:
    """The revenue/funding/price words that veto a money amount, minus words in `exclude`
    (a criterion about revenue must not be vetoed by the word revenue)."""
    exclude_folded = exclude.casefold()
    words = [w for w in MONEY_DISTRACTORS if not re.search(rf"\b{w}\b", exclude_folded)]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b")


BUDGET_DISTRACTORS = distractor_pattern()


class Amount:
    __slots__ = ("digits", "end", "explicit", "mult", "num", "start", "value")

    def __init__(self, match: re.Match[str]):
        self.start, self.end = match.start(), match.end()
        self.mult = match["mult"]
        self.explicit = bool(match["pre"] or match["post"] or self.mult)
        self.digits = ""
        if match.re is _WORD_AMOUNT:
            self.num = word_number(match["word"]) or 0.0
        else:
            digits = self.digits = match["num"]
            if self.explicit and not self.mult and _EUROPEAN_THOUSANDS.match(digits):
                digits = digits.replace(".", "")
            self.num = to_float(digits) or 0.0
        if self.mult == "mil" and _THOUSAND_MIL.match(
            f"{match['pre'] or ''}{match['post'] or ''}".strip()
        ):
            self.mult = "thousand"
        self.value = self.num * MULTIPLIERS[self.mult] if self.mult else self.num


def amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Money-looking amounts in text[start:end], ranges merged into their low end."""
    found: list[Amount] = []
    stop = len(text) if end is None else end
    for match in _amount_matches(text, start, stop):
        amount = Amount(match)
        if _NOT_MONEY_AFTER.match(text, amount.end, amount.end + 40):
            continue
        if amount.start and text[amount.start - 1] in "+(#":
            continue
        if _in_phone_number(text, amount.start, amount.end):
            continue
        if not amount.explicit and _YEAR.match(match["num"]):
            continue
        if found and _RANGE_GAP.match(text, found[-1].end, amount.start):
            low = found[-1]
            european = amount.explicit and _EUROPEAN_THOUSANDS.match(amount.digits)
            if european and not low.explicit and _EUROPEAN_THOUSANDS.match(low.digits):
                # "entre 30.000 y 50.000 €": the currency after the range is the low end's too
                low.num = to_float(low.digits.replace(".", "")) or 0.0
            high_value = amount.value
            low.value = range_low(low.num, low.mult, high_value, amount.mult)
            low.explicit = low.explicit or amount.explicit
            low.end = amount.end
            continue
        found.append(amount)
    return found


def _in_phone_number(text: str, start: int, end: int) -> bool:
    phone = _PHONE.search(text, max(0, start - 8), end + 20)
    return phone is not None and phone.start() <= start < phone.end()


_DIGIT_RUN = re.compile(r"\d+")
_CURRENCY_BEFORE = re.compile(rf"(?:{CURRENCY_SYMBOL}|{CURRENCY_CODE})\s?$")


def _amount_matches(text: str, start: int, stop: int):
    """`_AMOUNT` matches, tried only where a number starts (with any currency just before
    it): the pattern may start with an optional currency, which makes a full scan slow.
    Amounts in words ("a few thousand") come after, in text order with the rest."""
    if "thousand" in text or "million" in text or "grand" in text:
        matches = [*_digit_amount_matches(text, start, stop)]
        matches.extend(_WORD_AMOUNT.finditer(text, start, stop))
        matches.sort(key=lambda match: match.start())
        yield from matches
        return
    yield from _digit_amount_matches(text, start, stop)


def _digit_amount_matches(text: str, start: int, stop: int):
    consumed = start
    for number in _DIGIT_RUN.finditer(text, start, stop):
        if number.start() < consumed:
            continue
        currency = _CURRENCY_BEFORE.search(text, max(consumed, number.start() - 6), number.start())
        match = _AMOUNT.match(text, currency.start() if currency else number.start(), stop)
        if match:
            consumed = match.end()
            yield match


_BARE_AFTER_KEYWORD = re.compile(
    r"(?:budget|bdgt|spend|allocated|approved|up to|presupuesto|or[çc]amento)\b[^\n]{0,25}$"
)
_BARE_KEYWORD_REACH = 40  # the longest keyword above plus its 25 characters, and some


def find_money(
    text: str,
    clauses: Clauses,
    *,
    context: re.Pattern[str] = BUDGET_CONTEXT,
    distractors: re.Pattern[str] = BUDGET_DISTRACTORS,
) -> Found | None:
    """The amount a `context` word points at, unless a `distractors` word sits nearer.

    Each pattern scans each clause with an amount once and each amount looks its nearest
    words up by bisection, so the cost stays linear however many amounts share one clause."""
    found = [(amount, clauses.around(amount.start, amount.end)) for amount in amounts(text)]
    if not found:
        return None
    windows = sorted({clause for _, clause in found})
    keywords, vetoes = _Spans(context, text, windows), None
    best: tuple[int, int, Found] | None = None
    for amount, (left, right) in found:
        keyword = keywords.nearest(left, right, amount)
        if keyword is None:
            continue
        distance, key_start, key_end = keyword
        vetoes = vetoes or _Spans(distractors, text, windows)  # most amounts have no keyword
        veto = vetoes.nearest(left, right, amount)
        if veto is not None and veto[0] < distance:
            continue
        bare_from = max(left, amount.start - _BARE_KEYWORD_REACH)
        if not amount.explicit and not _BARE_AFTER_KEYWORD.search(text, bare_from, amount.start):
            continue
        start, end = min(key_start, amount.start), max(key_end, amount.end)
        found = Found(amount.value, start, end, 0.8)
        if best is None or (distance, amount.start) < best[:2]:
            best = (distance, amount.start, found)
    return best[2] if best else None


class _Spans:
    """Where one pattern matches in the clauses of a text that hold amounts, in order, for
    nearest-match look-ups: each clause is scanned once, however many amounts it holds."""

    def __init__(self, pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]):
        spans = [m.span() for left, right in windows for m in pattern.finditer(text, left, right)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def nearest(self, left: int, right: int, amount: Amount) -> tuple[int, int, int] | None:
        """(distance, start, end) of the match in text[left:right] nearest `amount`, the
        earlier on a tie."""
        starts, ends = self.starts, self.ends
        first = bisect_left(starts, left)
        stop = bisect_right(ends, right)
        if first >= stop:
            return None
        # Matches don't overlap, so ends are in order too: the last one ending at or before
        # the amount, the next (which may touch it), and the first one starting after it.
        before = bisect_right(ends, amount.start, first, stop) - 1
        after = bisect_left(starts, amount.end, first, stop)
        candidates = []
        if before >= first:
            candidates.append((amount.start - ends[before], starts[before], ends[before]))
        if before + 1 < stop and starts[before + 1] < amount.end:
            candidates.append((0, starts[before + 1], ends[before + 1]))
        if after < stop:
            candidates.append((starts[after] - amount.end, starts[after], ends[after]))
        return min(candidates, default=None)


_BELOW = re.compile(r"\b(?:under|below|less than|max(?:imum)?|up to|<)\s*$")


def parse_money(value: str) -> float | None:
    """A form value: '$50k', '80,000 USD', '$20,000 - $30,000' (-> 20000), 'under $10k'
    (-> 9999)."""
    value = value.lower()
    found = amounts(value)
    if not found:
        return None
    first = found[0]
    if _BELOW.search(value, 0, first.start) and "up to" not in value[: first.start].lower():
        return max(first.value - 1, 0)
    return first.value
