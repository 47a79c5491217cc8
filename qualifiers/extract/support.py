"""Whether a quote supports the value a model gave it: the offline rules read the quote too.

A verbatim quote is not enough: a model that obeyed a lead can quote "Team of 50" for a
budget of 50,000,000 or a person's first name for a student knockout. So each answer is
checked against what its quote says, by type:

- money and number: the value is a number written in the quote, scaled only by a unit written
  right after it ("80k", "1,2 Mio.", "R$ 40 mil"); money also needs a currency or the
  criterion's own word ("budget") in the quote's sentence, and no revenue/funding word in
  the quote; a count is never an amount of money.
- months: 0-120, a quote that states a time, and a value that fits the quote ("in 3 months"
  is 2-4, "by end of February" is months from the lead's arrival date to February).
- choice: the quote names the choice (its hints, label or key; titles also abbreviated or in
  another language), and for a role it is not someone else's ("my CEO").
- yes/no: the quote is a statement about the criterion, not merely another criterion's fact.
- knockouts: the quote is about the knockout (words of its label, guidance or hints, or the
  offline rule itself), and not negated ("I'm not a student") or vetoed by the rule's guards.

Where the offline rules read the quote itself, their reading decides: the same answer is
`confirmed`, another answer is a contradiction.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from qualifiers.extract.knockouts import guarded, looks_like_gibberish
from qualifiers.extract.money import CURRENCY_CODE, CURRENCY_WORD, amounts
from qualifiers.extract.numbers import CURRENCY_SYMBOL, DIGITS, WORD_NUMBER, to_float, word_number
from qualifiers.extract.offline import CriterionRules, KnockoutRules, LeadText, RubricRules
from qualifiers.extract.roles import expand_abbreviations, is_someone_elses, translate_titles
from qualifiers.extract.text import lower_same_length, sentence_bounds
from qualifiers.models import AnswerValue, DropReason, Lead
from qualifiers.rubric import Criterion, Knockout, Rubric
from qualifiers.scoring import points_for

MAX_MONTHS = 120

_UNIT_SCALES = {
    "k": (1e3,),
    "thousand": (1e3,),
    "grand": (1e3,),
    "tsd": (1e3,),
    "mil": (1e3, 1e6),  # "R$ 40 mil" is 40,000; "$2 mil" is 2,000,000
    "m": (1e6,),
    "mm": (1e6,),
    "mn": (1e6,),
    "mio": (1e6,),
    "million": (1e6,),
    "millions": (1e6,),
    "millionen": (1e6,),
    "millones": (1e6,),
    "millón": (1e6,),
    "milhão": (1e6,),
    "milhões": (1e6,),
    "miljoen": (1e6,),
    "b": (1e9,),
    "bn": (1e9,),
    "billion": (1e9,),
    "mrd": (1e9,),
    "milliard": (1e9,),
    "milliarden": (1e9,),
    "lakh": (1e5,),
    "lakhs": (1e5,),
    "lac": (1e5,),
    "crore": (1e7,),
    "crores": (1e7,),
}
_NUMBER_UNIT = re.compile(rf"(?<![\w.,])(?P<num>{DIGITS})(?![\d])(?:\s?(?P<unit>[^\W\d_]+))?")
_WORD_COUNT = re.compile(
    rf"\b(?P<word>{WORD_NUMBER})(?:[ -](?P<unit>hundred|thousand|million|k))?\b(?![ -](?:of\b))"
)
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NOT_COUNTS = {"a", "an", "single", "half a"}
_ZERO = re.compile(
    r"\b(?:no|none|zero|nothing|nil|not|n/?a|tbd|without|kein\w*|sin|pas de|aucun\w*|geen|"
    r"nenhum\w*|sem)\b|\b0\b|n'?t\b"
)
_CURRENCY = re.compile(
    rf"{CURRENCY_SYMBOL}|\b{CURRENCY_CODE}\b|\b{CURRENCY_WORD}\b|\br\$|€|\bkr\b|zł"
)

_MONTH_NAMES = {
    1: "jan|january|januar|janvier|enero|januari|janeiro|gennaio",
    2: "feb|february|februar|février|fevrier|febrero|februari|fevereiro|febbraio",
    3: "mar|march|märz|maerz|mars|marzo|maart|março|marco",
    4: "apr|april|avril|abril|aprile",
    5: "may|mai|mayo|mei|maio|maggio",
    6: "jun|june|juni|juin|junio|junho|giugno",
    7: "jul|july|juli|juillet|julio|julho|luglio",
    8: "aug|august|août|aout|agosto|augustus",
    9: "sep|sept|september|septembre|septiembre|setembro|settembre",
    10: "oct|october|oktober|octobre|octubre|outubro|ottobre",
    11: "nov|november|novembre|noviembre|novembro",
    12: "dec|december|dezember|décembre|decembre|diciembre|dezembro|dicembre",
}
_MONTH = {name: number for number, names in _MONTH_NAMES.items() for name in names.split("|")}
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(_MONTH, key=len, reverse=True)) + r")\b\.?")
_YEAR = re.compile(r"\b(20\d\d)\b")
_TIME_UNITS = (
    ("d", 1 / 30, r"days?|tage?n?|jours?|d[ií]as?|dagen"),
    ("w", 12 / 52, r"weeks?|wks?|wochen?|semaines?|semanas?|weken"),
    ("m", 1, r"months?|mos?|monate?n?|mois|mes(?:es)?|maanden?|m[eê]s"),
    ("q", 3, r"quarters?|qtrs?|quartale?n?|trimestres?|kwartalen?|kwartaal"),
    ("y", 12, r"years?|yrs?|jahre?n?|ans?|ann[ée]es?|a[ñn]os?|jaren?|jaar|anos?"),
)
_TIME_UNIT = "|".join(pattern for _, _, pattern in _TIME_UNITS)
_UNIT_MONTHS = [(re.compile(rf"(?:{pattern})$"), months) for _, months, pattern in _TIME_UNITS]
_COUNT_OF_TIME = re.compile(
    rf"(?P<num>\d+(?:[.,]\d+)?|{WORD_NUMBER})(?:\s*(?:-|–|to|or)\s*(?P<num2>\d+(?:[.,]\d+)?|"
    rf"{WORD_NUMBER}))?[\s-]*(?P<unit>{_TIME_UNIT})\b"
)
_TIME_WORD = re.compile(
    rf"\b(?:{_TIME_UNIT}|q[1-4]|h[12]|eo[qym]|fy\s?\d*|fiscal|asap|now|immediately|urgent\w*|"
    r"soon|today|tomorrow|tonight|spring|summer|autumn|fall|winter|monday|tuesday|wednesday|"
    r"thursday|friday|weekend|researching|browsing|exploring|sofort|bald|dringend|"
    r"imm[ée]diatement|urgente?|pronto|ya|snel|direct|zo snel|20\d\d)\b"
    rf"|{_MONTH_WORD.pattern}|\b\d{{1,2}}[./-]\d{{1,2}}(?:[./-]\d{{2,4}})?\b"
)

# Words too common to say what a knockout or criterion is about.
_STOP_WORDS = frozenset(
    [
        "lead",
        "leads",
        "that",
        "this",
        "with",
        "from",
        "asks",
        "wants",
        "want",
        "only",
        "they",
        "them",
        "their",
        "about",
        "into",
        "clearly",
        "shows",
        "show",
        "some",
        "other",
        "your",
        "yours",
        "have",
        "works",
        "work",
        "when",
        "what",
        "which",
        "there",
        "where",
        "who",
        "whom",
        "under",
        "over",
        "more",
        "most",
        "also",
        "just",
        "like",
        "such",
        "than",
        "then",
        "been",
        "being",
        "does",
        "done",
        "make",
        "made",
        "purchase",
        "buying",
        "inquiring",
        "person",
        "people",
        "company",
        "research",
        "project",
        "product",
        "analysis",
        "help",
        "include",
        "development",
        "opportunity",
        "opportunities",
        "list",
        "lists",
        "label",
        "white",
        "become",
        "open",
        "role",
        "roles",
        "position",
        "positions",
        "looking",
    ]
)
_WORD = re.compile(r"[^\W\d_]{4,}")
_NEGATION = re.compile(
    r"(?:\b(?:not|no|never|nor|neither|former|ex|kein\w*|nicht|pas|ni)\b|n'?t\b)[^.;!?\n]{0,25}$"
)
_MIN_NEED_WORDS = 4
_FACT_WORDS = 8  # a shorter quote that states another criterion's fact is only that fact


@dataclass(frozen=True)
class Support:
    """`reason` None: the quote supports the answer; `confirmed`: the offline rules read the
    quote the same way (else only the checks above passed)."""

    reason: DropReason | None = None
    detail: str = ""
    confirmed: bool = False


SUPPORTED = Support()
CONFIRMED = Support(confirmed=True)


def refuted(reason: DropReason, detail: str) -> Support:
    return Support(reason=reason, detail=detail)


@dataclass(frozen=True)
class Quote:
    """A model's quote located in the lead: the lead's own span and where it starts."""

    text: str
    start: int
    lead_lower: str  # the lead's searchable text with bot-directed text blanked, lowercased

    @property
    def lower(self) -> str:
        return lower_same_length(self.text)

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def sentence(self) -> tuple[int, int]:
        return sentence_bounds(self.lead_lower, self.start, self.end)


class QuoteReader:
    """Checks quotes for one rubric, with the offline rules compiled for it."""

    def __init__(self, rubric: Rubric, rules: RubricRules):
        self.rubric = rubric
        self.criteria = {r.id: r for r in rules.criteria}
        self.knockouts = {r.id: r for r in rules.knockouts}
        self.knockout_words = {k.id: _topic_stems(_knockout_text(k)) for k in rubric.knockouts}

    # --- criteria ----------------------------------------------------------------------------

    def check(
        self, criterion: Criterion, value: AnswerValue, quote: Quote, *, as_of: date
    ) -> Support:
        rules = self.criteria[criterion.id]
        read = self.reading(rules, quote.text)
        if read is not None:
            if same_answer(criterion, read, value):
                return CONFIRMED
            return refuted("contradicted", f"the quote reads as {_shown(read)}")
        start, end = quote.sentence()
        in_sentence = self.reading(rules, quote.lead_lower[start:end])
        if in_sentence is not None and same_answer(criterion, in_sentence, value):
            return CONFIRMED  # the offline rules read the same answer in the quote's sentence
        kind = criterion.type
        if kind == "money":
            return self._money(rules, float(value), quote)
        if kind == "number":
            return _count(float(value), quote)
        if kind == "months":
            return _months(float(value), quote, as_of)
        if kind == "choice":
            return self._choice(rules, str(value), quote)
        if kind == "yes_no":
            return self._yes_no(rules, bool(value), quote)
        return SUPPORTED

    def reading(self, rules: CriterionRules, text: str) -> AnswerValue | None:
        """What the offline rules answer for this criterion from `text` alone."""
        answer = rules.answer(LeadText(Lead(text=text)))
        return None if answer is None else answer.value

    def _money(self, rules: CriterionRules, value: float, quote: Quote) -> Support:
        lower = quote.lower
        if value == 0:
            if _ZERO.search(lower):
                return SUPPORTED
            return refuted("not_stated", "the quote does not say there is none")
        if not _states_number(lower, value, money=True):
            return refuted("not_stated", f"evidence does not state {_shown(value)}")
        start, end = quote.sentence()
        sentence = quote.lead_lower[start:end]
        if not (_CURRENCY.search(lower) or rules.money_context.search(sentence)):
            return refuted("not_stated", f"the quote states no amount of money for {rules.id}")
        distractor = rules.money_distractors.search(lower)
        if distractor and not rules.money_context.search(lower):
            return refuted("contradicted", f"the quote is about {distractor.group()}")
        return SUPPORTED

    def _choice(self, rules: CriterionRules, key: str, quote: Quote) -> Support:
        label = rules.criterion.choices[key].label or key
        pattern = next(p for k, p in rules.choice_text if k == key)
        lower = quote.lower
        match = pattern.search(lower)
        if match is not None:
            offset = match.start()
        elif rules.parser == "title" and _names_title(pattern, lower):
            offset = 0  # an abbreviation or a foreign title: offsets moved, check the start
        else:
            return refuted("not_stated", f"the quote does not say {label}")
        if rules.parser == "title":
            return self._own_role(quote, offset)
        return SUPPORTED

    def _own_role(self, quote: Quote, offset: int) -> Support:
        if is_someone_elses(quote.lead_lower, quote.start + offset):
            return refuted("someone_else", "the quote names someone else's role")
        return SUPPORTED

    def _yes_no(self, rules: CriterionRules, value: bool, quote: Quote) -> Support:
        if not value:
            return SUPPORTED
        if rules.parser != "need":
            topic = _topic_stems(" ".join(_criterion_text(rules.criterion)))
            if not _stems(quote.lower) & topic:
                return refuted("not_stated", f"the quote says nothing about {rules.id}")
            return SUPPORTED
        words = len(quote.text.split())
        if words < _MIN_NEED_WORDS:
            return refuted("not_stated", "the quote states no problem or goal")
        if words < _FACT_WORDS:
            for other in self.criteria.values():
                if other.id != rules.id and self.reading(other, quote.text) is not None:
                    return refuted("not_stated", f"the quote is about {other.id}, not a need")
        return SUPPORTED

    # --- knockouts ---------------------------------------------------------------------------

    def check_knockout(self, knockout: Knockout, quote: Quote) -> Support:
        rules: KnockoutRules = self.knockouts[knockout.id]
        start, end = quote.sentence()
        lower = quote.lead_lower
        vetoed = None
        for pattern in rules.patterns:
            for match in pattern.finditer(lower, start, end):
                if match.end() <= quote.start or match.start() >= quote.end:
                    continue
                if not guarded(rules.builtin, lower, match.start(), match.end()):
                    return CONFIRMED
                vetoed = match.group()
        if vetoed is not None:
            return refuted("contradicted", f"the offline rules read {vetoed!r} as no {knockout.id}")
        for pattern, also in rules.builtin.paired if rules.builtin else ():
            match = pattern.search(lower, max(start, quote.start), min(end, quote.end + 40))
            if match and match.start() < quote.end and also.search(lower):
                return CONFIRMED
        if knockout.id == "spam" and looks_like_gibberish(quote.text):
            return CONFIRMED
        topic = self.knockout_words[knockout.id]
        for word in _WORD.finditer(quote.lower):
            if not _stem_in(word.group(), topic):
                continue
            position = quote.start + word.start()
            if _NEGATION.search(lower, max(start, position - 40), position):
                return refuted("negated", f"the lead says it is not {word.group()!r}")
            return SUPPORTED
        return refuted("not_stated", f"the quote says nothing about {knockout.label.lower()}")


def _names_title(pattern, lower: str) -> bool:
    expanded = expand_abbreviations(lower)
    return (
        pattern.search(expanded) is not None
        or pattern.search(translate_titles(expanded)) is not None
    )


def same_answer(criterion: Criterion, read: AnswerValue, value: AnswerValue) -> bool:
    if criterion.type == "months":
        return points_for(criterion, read) == points_for(criterion, value)
    if criterion.type in ("money", "number"):
        return isinstance(read, int | float) and math.isclose(float(read), float(value))
    return read == value


def _shown(value: AnswerValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stated_numbers(lower: str, *, money: bool = False) -> set[float]:
    """Every number the (lowercased) quote states, scaled only by a unit written after it:
    "80k" is 80000, "1,2 mio." 1200000, "team of 50" only 50, "a dozen" 12."""
    readings: set[float] = set()
    for match in _NUMBER_UNIT.finditer(lower):
        unit = match["unit"]
        scales = _UNIT_SCALES.get(unit, (1.0,)) if unit else (1.0,)
        for number in _readings(match["num"]):
            readings.update(number * scale for scale in scales)
    for match in _WORD_COUNT.finditer(lower):
        if match["word"] in _NOT_COUNTS and not match["unit"]:
            continue
        number = word_number(match["word"])
        if number is not None:
            scale = {"hundred": 100, "thousand": 1e3, "k": 1e3, "million": 1e6}.get(
                match["unit"], 1
            )
            readings.add(number * scale)
    if money:
        readings.update(amount.value for amount in amounts(lower))
    return readings


def _readings(token: str) -> set[float]:
    """1,400 and 1.400 are 1400; 1,5 and 1.5 are 1.5; both readings when it is unclear."""
    readings = set()
    if (parsed := to_float(token)) is not None:
        readings.add(parsed)
    plain = token.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    for candidate in (plain.replace(",", ""), plain.replace(".", "").replace(",", ".")):
        if _PLAIN_NUMBER.fullmatch(candidate):
            readings.add(float(candidate))
    return readings


def _states_number(lower: str, value: float, *, money: bool = False) -> bool:
    return any(
        math.isclose(value, number, rel_tol=1e-9) for number in stated_numbers(lower, money=money)
    )


def supports_number(quote: str, value: float) -> bool:
    """Whether `quote` states `value` ("80k" 80000, "no budget yet" 0, "Team of 50" only 50)."""
    lower = quote.lower()
    if value == 0:
        return bool(_ZERO.search(lower))
    return _states_number(lower, value, money=True)


def _count(value: float, quote: Quote) -> Support:
    lower = quote.lower
    if not _states_number(lower, value):
        return refuted("not_stated", f"evidence does not state {_shown(value)}")
    if _CURRENCY.search(lower):
        return refuted("contradicted", "the quote states an amount of money, not a count")
    return SUPPORTED


def _months(value: float, quote: Quote, as_of: date) -> Support:
    if not 0 <= value <= MAX_MONTHS:
        return refuted("out_of_range", f"{_shown(value)} months is outside 0-{MAX_MONTHS}")
    lower = quote.lower
    if not _TIME_WORD.search(lower):
        return refuted("not_stated", "the quote states no time")
    expected = _months_stated(lower) or _months_to_calendar(lower, as_of)
    if expected is not None:
        low, high = expected
        if not low - 1 <= value <= high + 1:
            span = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            return refuted(
                "contradicted", f"the quote means about {span} months from {as_of.isoformat()}"
            )
    return SUPPORTED


def _months_stated(lower: str) -> tuple[float, float] | None:
    """'in 3 months' -> (3, 3), '2-4 weeks' -> (0.5, 1), 'a year' -> (12, 12)."""
    found: list[float] = []
    for match in _COUNT_OF_TIME.finditer(lower):
        unit_months = next(m for pattern, m in _UNIT_MONTHS if pattern.match(match["unit"]))
        for token in (match["num"], match["num2"]):
            if token:
                number = to_float(token) if token[0].isdigit() else word_number(token)
                if number is not None:
                    found.append(number * unit_months)
    if not found:
        return None
    return math.floor(min(found)), math.ceil(max(found))


def _months_to_calendar(lower: str, as_of: date) -> tuple[float, float] | None:
    """A month name ('by end of February', 'März 2027') or a year ('in 2027'), counted from
    the arrival date: the month's next occurrence unless a year is given."""
    years = [int(y) for y in _YEAR.findall(lower)]
    months = [_MONTH[m.group(1)] for m in _MONTH_WORD.finditer(lower)]
    if months:
        month = months[-1]
        year = years[-1] if years else as_of.year + (month < as_of.month)
        distance = (year - as_of.year) * 12 + month - as_of.month
        return (distance, distance) if distance >= 0 else None
    if years:
        first = (years[0] - as_of.year) * 12 + 1 - as_of.month
        last = (years[-1] - as_of.year) * 12 + 12 - as_of.month
        return (max(0, first), last) if last >= 0 else None
    return None


def _criterion_text(criterion: Criterion) -> list[str]:
    return [criterion.label, criterion.question, criterion.guidance, criterion.id]


def _knockout_text(knockout: Knockout) -> str:
    """The label and hints: the guidance explains in everyday words any lead may use."""
    return " ".join([knockout.id.replace("_", " "), knockout.label, *knockout.hints])


def _topic_stems(text: str) -> frozenset[str]:
    return frozenset(_stems(text.lower()))


def _stems(lower: str) -> set[str]:
    return {word[:6] for word in _WORD.findall(lower) if word not in _STOP_WORDS}


def _stem_in(word: str, stems: frozenset[str]) -> bool:
    return word not in _STOP_WORDS and word[:6] in stems
