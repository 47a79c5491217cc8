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
- yes/no: the quote is a statement about the criterion, not merely another criterion's fact;
  a need's sentence also does not read as something else to the sentence classifier
  ("I wanted to see what's out there").
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

from qualifiers.extract.knockouts import guarded
from qualifiers.extract.money import CURRENCY_CODE, CURRENCY_WORD, amounts
from qualifiers.extract.numbers import CURRENCY_SYMBOL, DIGITS, WORD_NUMBER, to_float, word_number
from qualifiers.extract.offline import CriterionRules, KnockoutRules, LeadText, RubricRules
from qualifiers.extract.roles import expand_abbreviations, is_someone_elses, translate_titles
from qualifiers.extract.sentences import shipped_model
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
_RANKED = re.compile(r"\b(?:fortune|forbes|global|inc\.?|ftse|s&p|russell|top)\s*$")
_PAST_MONEY = re.compile(
    r"\b(?:spent|did spend|paid|we paid|cost us|last (?:year|quarter|month)|previous(?:ly)?)\b"
)
_SET_ASIDE = re.compile(r"\b(?:budget\w*|bdgt|set aside|allocated|approved|earmarked)\b")
_COMPOUND = re.compile(r"-([^\W\d_]+)")
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
    rf"\b(?:{_TIME_UNIT}|q[1-4]|h[12]|eo[qym]|fy\s?\d*|fiscal|asap|immediately|urgent\w*|"
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
_NEGATION_AFTER = re.compile(r"[^.;!?\n]{0,20}?(?:\b(?:not|no|never)\b|n'?t\b)")
_MIN_NEED_WORDS = 5
# a need quote whose sentence the classifier reads as "other" by more than this is refuted
_NOT_A_NEED_MARGIN = 0.1
_PROBLEM_OR_GOAL = re.compile(
    r"\b(?:need\w*|want\w*|goal|aim\w*|problem\w*|"
    r"issue\w*|pain\w*|struggl\w*|manual\w*|slow\w*|broken|break\w*|lost|los[et]\w*|miss\w*|"
    r"fall\w*|fail\w*|error\w*|mistake\w*|late|delay\w*|stuck|hard|difficult|can'?t|cannot|"
    r"unable|waste\w*|takes?|taking|spend\w*|chaos|mess\w*|"
    r"(?:in|by|via|over|on|through|with|into) (?:e-?mails?|paper|excel|spreadsheets?)|"
    r"replac\w*|automat\w*|improv\w*|fix\w*|reduc\w*|speed|faster|track\w*|rout\w*|"
    r"scor\w*|manag\w*|consolidat\w*|integrat\w*|migrat\w*|scal\w*|get rid|stop\w*|"
    r"sort out|streamlin\w*|centrali[sz]\w*|digiti[sz]\w*|tired|frustrat\w*|nobody|no one|"
    r"brauchen|suchen|besoin|necesit\w*|precis\w*|nodig|zoeken)\b"
)
_PLAN = re.compile(
    r"\b(?:decid\w*|decision|buy\w*|purchas\w*|sign\w*|live|launch\w*|roll\w*|start\w*|"
    r"implement\w*|deploy\w*|in place|up and running|need\w*|want\w*|would like|'d like|plan\w*|"
    r"target\w*|deadline|before|within|until|choos\w*|pick\w*|select\w*|evaluat\w*|"
    r"budget\w*|approv\w*|contract\w*|kick\w*|begin\w*|ready|timeline|time ?frame|asap|"
    r"urgent\w*|soon|next|looking at|aim\w*|hop(?:e|ing)|expect\w*|must|should|go[- ]live|"
    r"switch\w*|move|moving|replace\w*|finali[sz]\w*|no rush|researching|browsing|exploring|"
    r"bis|avant|antes|voor|vor|até|entscheid\w*|décid\w*|decidir)\b"
)
_FUTURE = re.compile(
    r"\b(?:in|within|by|before|until|till|next|this|end of|start of|early|mid|late|from now|"
    r"no later than|over the next|coming|upcoming|target\w*|asap|immediately|urgent\w*|soon|"
    r"q[1-4]|h[12]|eo[qym]|fy\s?\d*|20\d\d|researching|browsing|exploring|no rush|bis|avant|"
    r"antes|voor|vor|até|innerhalb|dans|en|binnen|em|próximo|nächste\w*|prochain\w*|volgende)\b"
)
_DELAYED_BY = re.compile(r"\b(?:slip\w*|delay\w*|late|off|behind|over|down|up|cut\w*|reduc\w*)\s+$")
_PEOPLE = re.compile(
    r"\b(?:employees?|people|persons?|person|staff\w*|ppl|ftes?|headcount|hc|team|workers?|personnel|"
    r"colleagues|heads|strong|size|company|firm|org\w*|business|mitarbeiter\w*|beschäftigte|"
    r"employés|salariés|empleados|trabajadores|medewerkers|werknemers|funcionários|colaboradores)\b"
)
_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|im|i've|i'd|me|my|mine|we|we're|we've|we'd|our|ours|us|ich|wir|unser\w*|je|nous|"
    r"notre|nos|yo|nosotros|nuestr\w*|ik|wij|ons|onze|eu|nós|nosso\w*)\b"
)
_KNOCKOUT_TOPICS = {
    "student": r"\b(?:students?|thesis|dissertation|coursework|homework|professor|lecturer|"
    r"classmates?|semester|capstone|undergrad\w*|phd|academic|survey|assignment|study program|"
    r"(?:school|class|course|university|college|uni) (?:project|paper|report|essay))\b",
    "job_seeker": r"\b(?:resume|résumé|cv|(?:a|new|next|the|any|for) (?:job|position|role)|"
    r"job (?:openings?|applications?|offers?|postings?|hunting|search)|internship|applying|"
    r"candidates?|"
    r"recruit\w*|placement|careers?|vacanc\w*|openings?|hire me|employment)\b",
    "vendor": r"\b(?:our services|we (?:offer|provide|specialize)|we (?:help|build|deliver|"
    r"generate)(?: \w+){0,2} (?:you|your|companies|businesses|brands|teams|clients|startups)|"
    r"(?:our|an?) (?:agency|team|firm|company) (?:can|could|will|helps|builds|offers|provides)|"
    r"outsourc\w*|offshore|nearshore|white[- ]label|resell\w*|partnership|affiliate|"
    r"lead lists?|seo|backlinks?|pitch\w*|(?:companies|businesses|teams) like yours)\b",
    "competitor": r"\b(?:competitors?|competing|compete[sd]?|competition|rivals?|benchmark\w*|"
    r"similar (?:product|tool|platform|solution)|same space|our own (?:product|tool|platform)|"
    r"market (?:research|review|analysis|study))\b",
    "spam": r"\b(?:crypto\w*|bitcoin|forex|casino|lottery|prize|winner|inheritance|"
    r"investment opportunity|click here|unsubscribe|gift cards?|wallet|guaranteed|seo|"
    r"backlinks?|followers|viagra|loan offer|payday loans?|beneficiary|congratulations)\b",
}
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
        """The sentence(s) the quote is in (a quote ending in a full stop ends there)."""
        return sentence_bounds(self.lead_lower, self.start, max(self.start, self.end - 1))


class QuoteReader:
    """Checks quotes for one rubric, with the offline rules compiled for it."""

    def __init__(self, rubric: Rubric, rules: RubricRules):
        self.rubric = rubric
        self.criteria = {r.id: r for r in rules.criteria}
        self.knockouts = {r.id: r for r in rules.knockouts}
        self.knockout_topics = {k.id: _knockout_topic(k) for k in rubric.knockouts}
        self.purchase_criteria = frozenset(r.id for r in rules.purchase_criteria)
        self.sentences = shipped_model()

    # --- criteria ----------------------------------------------------------------------------

    def check(
        self, criterion: Criterion, value: AnswerValue, quote: Quote, *, as_of: date
    ) -> Support:
        rules = self.criteria[criterion.id]
        kind = criterion.type
        # Read alone, a title is everyone's ("From: Alicia Grant, VP"): a reading of the quote
        # may refute a choice but only the reading of the whole lead confirms one.
        confirms = kind != "choice"
        read = self.reading(rules, quote.text)
        if read is not None and not same_answer(criterion, read, value):
            return refuted("contradicted", f"the quote reads as {_shown(read)}")
        in_context = self._sentence_reading(rules, value, quote)
        if confirms and in_context is not False and (read is not None or in_context):
            # The quote reads so alone and its sentence does not say otherwise ("60 nurses"
            # alone is a headcount; "our unit alone has 60 nurses" is not).
            return _money_context(rules, quote) if kind == "money" else CONFIRMED
        if kind == "money":
            return self._money(rules, float(value), quote)
        if kind == "number":
            return self._count(rules, float(value), quote)
        if kind == "months":
            return _months(float(value), quote, as_of)
        if kind == "choice":
            return self._choice(rules, str(value), quote)
        if kind == "yes_no":
            return self._yes_no(rules, bool(value), quote)
        return SUPPORTED

    def _sentence_reading(
        self, rules: CriterionRules, value: AnswerValue, quote: Quote
    ) -> bool | None:
        """Whether the offline rules read the same answer from the quote in its sentence:
        True; False when they read nothing there or another answer from the quote; None when
        what they read comes from another part of the sentence."""
        start, end = quote.sentence()
        sentence = quote.lead_lower[start:end]
        answer = rules.answer(LeadText(Lead(text=sentence)))
        if answer is None:
            return False
        found = sentence.find(answer.evidence)
        if found < 0 or not (
            start + found < quote.end and quote.start < start + found + len(answer.evidence)
        ):
            return None
        return same_answer(rules.criterion, answer.value, value)

    def reading(self, rules: CriterionRules, text: str) -> AnswerValue | None:
        """What the offline rules answer for this criterion from `text` alone."""
        answer = rules.answer(LeadText(Lead(text=text)))
        return None if answer is None else answer.value

    def _money(self, rules: CriterionRules, value: float, quote: Quote) -> Support:
        lower = quote.lower
        context = rules.money_context.search(lower)
        if value == 0 and not _ZERO.search(lower):
            return refuted("not_stated", "the quote does not say there is none")
        after = quote.start + context.end() if context else None
        if value != 0 and not _states_amount(quote, value, bare_after=after):
            return refuted("not_stated", f"evidence does not state {_shown(value)}")
        return _money_context(rules, quote)

    def _count(self, rules: CriterionRules, value: float, quote: Quote) -> Support:
        lower = quote.lower
        if not _states_number(lower, value):
            return refuted("not_stated", f"evidence does not state {_shown(value)}")
        if _CURRENCY.search(lower):
            return refuted("contradicted", "the quote states an amount of money, not a count")
        if rules.parser == "headcount":
            if not _PEOPLE.search(lower):
                return refuted("not_stated", "the quote does not say what is counted")
        elif not rules.label_number.search(lower):
            return refuted("not_stated", f"the quote says nothing about {rules.id}")
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
            topic = _stems(" ".join(_criterion_text(rules.criterion)).lower())
            if not _stems(quote.lower) & topic:
                return refuted("not_stated", f"the quote says nothing about {rules.id}")
            return SUPPORTED
        words = len(quote.text.split())
        if words < _MIN_NEED_WORDS or not _PROBLEM_OR_GOAL.search(quote.lower):
            return refuted("not_stated", "the quote states no problem or goal")
        start, end = quote.sentence()
        need_p, *_, other_p = self.sentences.probabilities(quote.lead_lower[start:end])
        if other_p - need_p > _NOT_A_NEED_MARGIN:  # "I wanted to see what's out there"
            return refuted("not_stated", "the quote's sentence reads as no need")
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
        topic = self.knockout_topics[knockout.id]
        for word in topic.finditer(lower, quote.start, quote.end):
            if _NEGATION.search(lower, max(start, word.start() - 40), word.start()) or (
                _NEGATION_AFTER.match(lower, word.end(), min(end, word.end() + 40))
            ):
                return refuted("negated", f"the lead says it is not {word.group()!r}")
            if guarded(rules.builtin, lower, word.start(), word.end()):
                return refuted("contradicted", f"{word.group()!r} is about someone else here")
            if knockout.id != "spam" and not _FIRST_PERSON.search(lower, start, quote.end):
                return refuted("not_stated", "the quote is not the lead speaking of itself")
            return SUPPORTED
        return refuted("not_stated", f"the quote says nothing about {knockout.label.lower()}")


def _money_context(rules: CriterionRules, quote: Quote) -> Support:
    """Money is the criterion's (a budget) only in a sentence that speaks of it, not about
    revenue or funding, and not money spent before."""
    lower = quote.lower
    start, end = quote.sentence()
    if not rules.money_context.search(quote.lead_lower, start, end):
        return refuted("not_stated", f"the quote's sentence says nothing about {rules.id}")
    distractor = rules.money_distractors.search(lower)
    if distractor and rules.money_context.search(lower) is None:
        return refuted("contradicted", f"the quote is about {distractor.group()}")
    past = _PAST_MONEY.search(quote.lead_lower, start, end)
    if past and not _SET_ASIDE.search(lower):
        return refuted("contradicted", f"the quote is money {past.group()!r}, not a budget")
    return SUPPORTED


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


def stated_numbers(lower: str, *, money: bool = False, bare_after: int | None = 0) -> set[float]:
    """Every number the (lowercased) quote states, scaled only by a unit written after it:
    "80k" is 80000, "1,2 mio." 1200000, "team of 50" only 50, "a dozen" 12. For money, only
    amounts (money.py: not "9 months", a phone number or a year) and numbers with a unit,
    and bare numbers only after `bare_after` (the word that says what they are: "budget:
    8000"; None: never)."""
    readings: set[float] = set()
    for match in _NUMBER_UNIT.finditer(lower):
        if not money and _RANKED.search(lower, 0, match.start()):
            continue  # "Fortune 500"
        compound = None if money else _COMPOUND.match(lower, match.end("num"))
        if compound and not _PEOPLE.fullmatch(compound[1]):
            continue  # "a 45-minute call", "a 3-step process"; but "a 40-person firm"
        unit = match["unit"]
        if unit in _UNIT_SCALES:
            scales = _UNIT_SCALES[unit]
        elif money:
            continue
        else:
            scales = (1.0,)
        for number in _readings(match["num"]):
            readings.update(number * scale for scale in scales)
    if money:
        readings.update(
            a.value
            for a in amounts(lower)
            if a.explicit or (bare_after is not None and a.start >= bare_after)
        )
        return readings
    for match in _WORD_COUNT.finditer(lower):
        if match["word"] in _NOT_COUNTS and not match["unit"]:
            continue
        number = word_number(match["word"])
        if number is not None:
            scale = {"hundred": 100, "thousand": 1e3, "k": 1e3, "million": 1e6}.get(
                match["unit"], 1
            )
            readings.add(number * scale)
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


def _states_amount(quote: Quote, value: float, *, bare_after: int | None) -> bool:
    """Whether the quote states `value` as money, read in the lead so that what follows it
    counts ("up to 6" in "up to 6 weeks" is not six dollars): amounts inside the quote, and
    numbers with a unit written in it."""
    start, end = quote.sentence()
    readings = {
        a.value
        for a in amounts(quote.lead_lower, start, end)
        if quote.start <= a.start
        and a.end <= quote.end
        and (a.explicit or (bare_after is not None and a.start >= bare_after))
    }
    readings |= stated_numbers(quote.lower, money=True, bare_after=None) - {
        a.value for a in amounts(quote.lower)
    }
    return any(math.isclose(value, number, rel_tol=1e-9) for number in readings)


def _states_number(
    lower: str, value: float, *, money: bool = False, bare_after: int | None = 0
) -> bool:
    numbers = stated_numbers(lower, money=money, bare_after=bare_after)
    return any(math.isclose(value, number, rel_tol=1e-9) for number in numbers)


def supports_number(quote: str, value: float) -> bool:
    """Whether `quote` states `value` ("80k" 80000, "no budget yet" 0, "Team of 50" only 50)."""
    lower = quote.lower()
    if value == 0:
        return bool(_ZERO.search(lower))
    return _states_number(lower, value) or _states_number(lower, value, money=True)


def _months(value: float, quote: Quote, as_of: date) -> Support:
    if not 0 <= value <= MAX_MONTHS:
        return refuted("out_of_range", f"{_shown(value)} months is outside 0-{MAX_MONTHS}")
    lower = quote.lower
    if not _TIME_WORD.search(lower):
        return refuted("not_stated", "the quote states no time")
    start, end = quote.sentence()
    if not _PLAN.search(quote.lead_lower, start, end):
        return refuted("not_stated", "the quote's sentence states no plan to decide or buy")
    if not _ahead(quote.lead_lower, max(start, quote.start - 12), quote.end):
        return refuted("not_stated", "the quote states no time ahead (a duration, the present)")
    years = [int(year) for year in _YEAR.findall(lower)]
    if years and max(years) < as_of.year:
        return refuted("contradicted", f"{max(years)} is before the lead arrived")
    expected = _months_stated(lower) or _months_to_calendar(lower, as_of)
    if expected is not None:
        low, high = expected
        if not low - 1 <= value <= high + 1:
            span = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            return refuted(
                "contradicted", f"the quote means about {span} months from {as_of.isoformat()}"
            )
    return SUPPORTED


def _ahead(lower: str, start: int, end: int) -> bool:
    """A word that points ahead ('in', 'by', 'next', 'Q1') in lower[start:end], other than
    the 'by' of a delay ('slip by a week')."""
    for match in _FUTURE.finditer(lower, start, end):
        if match.group() != "by" or not _DELAYED_BY.search(lower, start, match.start()):
            return True
    return False


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


def _stems(lower: str) -> set[str]:
    return {word[:6] for word in _WORD.findall(lower) if word not in _STOP_WORDS}


def _knockout_topic(knockout: Knockout) -> re.Pattern[str]:
    """The words that say a lead is this knockout: built-in ones, else the label's words."""
    if knockout.id in _KNOCKOUT_TOPICS:
        return re.compile(_KNOCKOUT_TOPICS[knockout.id])
    words = [w for w in _WORD.findall(knockout.label.lower()) if w not in _STOP_WORDS]
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words or [knockout.id])) + r")\w*")
