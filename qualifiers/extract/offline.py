"""The offline extractor: deterministic rules, no network, driven by the rubric.

Per criterion, the first of these that answers wins:
1. a lead field named in `criterion.fields` (or a `Key: value` line in the text with that
   key), parsed by the criterion's type;
2. the criterion's rubric `hints` (regex -> value) over the text;
3. the built-in parser chosen by `criterion.parser` or the type (money, headcount, timeline,
   title, need; generic number/choice otherwise).
Anything else stays missing: the extractor never guesses. Text addressed to the bot
("ignore previous instructions", fake JSON, "SYSTEM: tier=hot") is blanked before any rule
runs, so it cannot change an answer. Evidence is sliced from the original searchable text
at the offsets a rule matched, so it is always verbatim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from qualifiers.extract.answers import question_answer_pairs
from qualifiers.extract.calendar import Calendar
from qualifiers.extract.headcount import find_headcount, parse_headcount
from qualifiers.extract.knockouts import (
    BUILTIN_RULES,
    WRITER_TRADES,
    addresses_reader,
    competitor_pattern,
    describes_own_business,
    field_values,
    guarded,
    in_first_person,
    is_writers_problem,
    looks_like_gibberish,
    relays_a_lead,
    says_it_buys,
    speaks_for_self,
    wants_to_buy,
)
from qualifiers.extract.language import unread_language
from qualifiers.extract.lead_intent import read_intent
from qualifiers.extract.lead_intent import shipped_model as shipped_intent_model
from qualifiers.extract.lead_need import read_need
from qualifiers.extract.lead_need import shipped_model as shipped_need_model
from qualifiers.extract.linear import LinearModel
from qualifiers.extract.money import (
    BUDGET_CONTEXT,
    BUDGET_DISTRACTORS,
    distractor_pattern,
    find_money,
    parse_money,
)
from qualifiers.extract.need import find_need, is_stated_use_case
from qualifiers.extract.numbers import DIGITS, parse_field_number
from qualifiers.extract.patterns import casefold_pattern, split_alternatives
from qualifiers.extract.roles import (
    RoleCandidates,
    RolePhrase,
    expand_abbreviations,
    find_role_phrases,
    find_shorthand_role_phrases,
    is_someone_elses,
    names_no_holder,
    own_title,
    refined,
    translate_titles,
)
from qualifiers.extract.sentences import (
    BARE_INTENT_THRESHOLD,
    BUYER_LINE_THRESHOLD,
    INTENT_KNOCKOUTS,
    INTENT_THRESHOLD,
    SECONDED_INTENT_THRESHOLD,
    classify_need,
    intent_mass,
    intent_sentences,
    intents_read,
    scoring_one_lead,
    strongest_intent,
)
from qualifiers.extract.text import (
    Clauses,
    FormPair,
    Found,
    form_pairs,
    lower_same_length,
    mask_injections,
    mask_quoted_reply,
    normalise_key,
    said_by_us,
)
from qualifiers.extract.timeline import find_timeline, parse_timeline
from qualifiers.limits import within_budget
from qualifiers.models import Answer, AnswerValue, Extraction, KnockoutHit, Lead, Usage
from qualifiers.rubric import Criterion, Knockout, Rubric

_DEFAULT_PARSER = {"money": "money", "months": "timeline"}
_YES = {"yes", "y", "true", "1", "yes please", "definitely", "confirmed"}
_NO = {"no", "n", "false", "0", "none", "not yet", "nope"}
_ROLE_IDS = ("authority", "role", "title", "seniority")
_BLANK = {"", "-", "--", "(blank)", "blank", "null", "(none)", "?"}
_MAX_CACHED_RUBRICS = 16
# Field names that ask what a built-in parser reads, beyond the names a rubric lists.
_SIMILAR_KEYS = {
    "money": r"\bbudget|\bbdgt\b|\bspend|presupuesto|or[çc]amento",
    # "Timing:", not "budget/timing?": a combined question's answer is read as free text
    "timeline": r"timeline|time ?frame|(?<!/)\btiming\b|\bdecide|\bdecision|\bwhen\b|^tl$|"
    r"go[- ]live|deadline|award|"
    r"(?:purchase|buying)[ _]window|zeitrahmen|zeitraum|zeitplan|entscheidung|\bplazo|"
    r"\bprazo|calendrier|[ée]ch[ée]ance|\bd[ée]lai|\bplanning|termijn|tijdlijn|\bwann\b|"
    r"\bquand\b|cu[áa]ndo|quando|\bwanneer\b",
    "headcount": r"employees|headcount|\bhc\b|^emps?$|\bstaff\b|\bftes?\b|"
    r"how (?:big|large) is your "
    r"(?:company|organi[sz]ation|business)|how many people work|(?:company|co|team|org|"
    r"organi[sz]ation|firm|business) size|size of (?:the )?(?:company|organi[sz]ation)|"
    r"mitarbeiter|besch[äa]ftigte|empleados|trabajadores|funcion[áa]rios|colaboradores|"
    r"salari[ée]s|effectif|medewerkers|werknemers",
    "title": r"\b(?:job )?title\b|\brole\b|\bposition\b|\bdesignation\b|\bfunktion\b|"
    r"\bcargo\b|\bpuesto\b|\bfonction\b|\bposte\b|\bfun[çc][ãa]o\b|\bfunctie\b|\br[ôo]le\b|"
    r"^(?:you are|i am)$",  # a survey's "You are: Founder"
}
# "Deadline for questions", "Proposal due date": an RFP's other dates, not its decision.
_OTHER_DATE_KEY = re.compile(
    r"question|clarification|submission|proposal|\bbids?\b|quote|tender|webinar|meeting|\bcall\b|"
    r"\bdemo\b|event|founded"
)
# What a lead says about a purchase. A knocked-out lead (a vendor, recruiter, student,
# competitor) is not buying, so its "budget", "need" and "start in 4 weeks" are about
# something else: its own pitch, candidates or homework.
_PURCHASE_PARSERS = frozenset({"money", "timeline", "need"})
_MAX_REMEMBERED_FIELD_VALUES = 50_000
# Knockouts whose words can describe a buyer's own business ("we're a reseller", "a crypto
# exchange", "a recruitment agency"): a hit not addressed to us is vetoed when the writer
# states a problem of theirs (a job seeker's "I'm applying" speaks for themselves and stays).
_BUSINESS_KNOCKOUTS = frozenset({"vendor", "spam", "job_seeker"})
# Knockouts whose words a buyer uses about their own trade: partners, resellers, newsletters.
_TRADE_KNOCKOUTS = frozenset({"vendor", "spam"})
UNREAD_NOTE = (
    "The offline qualifier could not read this lead (it looks like {language}); only its "
    "form fields were scored. A rep or a model qualifier should read it."
)
_NOT_PARSED = object()


class once_per_lead:
    """functools.cached_property without its lock: Python 3.11's takes an RLock on every
    first read, and one LeadText is only ever read by the thread reading its lead."""

    def __init__(self, compute):
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, text, owner=None):
        if text is None:
            return self
        value = text.__dict__[self.name] = self.compute(text)
        return value


class LeadText:
    """One lead's searchable text with per-lead results computed once: `original` for
    evidence, `masked` with bot-directed text and our own quoted reply history blanked, and
    `lower`, the masked text lowercased
    (same offsets), which most rules run on."""

    def __init__(
        self, lead: Lead, calendar: Calendar | None = None, need_model: LinearModel | None = None
    ):
        self.calendar = calendar
        self.need_model = need_model
        self.original = lead.searchable_text()
        self.masked = mask_quoted_reply(mask_injections(self.original))
        self.lower = lower_same_length(self.masked)
        self.text_start = len(self.original) - len(lead.text) if lead.text else len(self.original)
        self.fields = {}
        for key, value in lead.fields.items():
            self.fields.setdefault(normalise_key(key), (key, value))

    def evidence(self, start: int, end: int) -> str:
        return self.original[start:end].strip()

    @once_per_lead
    def clauses(self) -> Clauses:
        return Clauses(self.lower)

    @once_per_lead
    def form_pairs(self) -> list[FormPair]:
        """`Key: value` answers in the free text (the lead's own fields are read directly),
        then questions answered in it ('Job title? -> CFO', a chatbot's question and reply)."""
        pairs = form_pairs(self.masked, self.text_start)
        return pairs + question_answer_pairs(self.masked, self.text_start)

    @once_per_lead
    def pair_keys(self) -> list[tuple[FormPair, str, str]]:
        """Each `Key: value` pair with its key normalised and lowercased, for every
        criterion to compare with."""
        return [(pair, normalise_key(pair.key), pair.key.lower()) for pair in self.form_pairs]

    @once_per_lead
    def field_names(self) -> list[tuple[str, str, str]]:
        """Each field's (name, value, lowercased name)."""
        return [(name, raw, name.lower()) for name, raw in self.fields.values()]

    @once_per_lead
    def headcount(self) -> Found | None:
        return find_headcount(self.lower)

    @once_per_lead
    def timeline(self) -> Found | None:
        return find_timeline(self.lower, calendar=self.calendar)

    @once_per_lead
    def need(self) -> Found | None:
        found = find_need(self.lower)
        if found is not None and said_by_us(self.lower, found.start):
            found = None  # our bot's "We help sales teams qualify leads" is no need of theirs
        if found is not None and found.value is True:
            return found
        return self._use_case_answer() or classify_need(self.lower) or found or self._lead_need()

    def _lead_need(self) -> Found | None:
        """The need the whole lead reads as stating (lead_need.py), its sentence as evidence."""
        if self.need_model is None:
            return None
        span = read_need(self.lower, self.need_model)
        return None if span is None else Found(True, *span, 0.6)

    def _use_case_answer(self) -> Found | None:
        """A use-case or problem question answered in a form field or a `Key: value` line."""
        for key, value in self.fields.values():
            if value and is_stated_use_case(key, value):
                start = self.original.find(f"{key}: {value}")
                return Found(True, start, start + len(key) + 2 + len(value), 0.7)
        for pair in self.form_pairs:
            if is_stated_use_case(pair.key, pair.value):
                return Found(True, pair.start, pair.end, 0.7)
        return None

    @once_per_lead
    def roles(self) -> RoleCandidates:
        return find_role_phrases(self.masked, self.lower)

    @once_per_lead
    def shorthand_roles(self) -> list[RolePhrase]:
        return find_shorthand_role_phrases(self.masked, self.lower)


class CriterionRules:
    """One criterion's compiled rules."""

    def __init__(self, criterion: Criterion):
        self.criterion = criterion
        self.id = criterion.id
        self.keys = [normalise_key(name) for name in criterion.fields]
        self.line_keys = {*self.keys, normalise_key(criterion.label), normalise_key(criterion.id)}
        self.missing = {value.strip().casefold() for value in criterion.missing_values}
        self.hints = [(casefold_pattern(h.pattern), h.value) for h in criterion.hints]
        self.choices = [
            (key, [casefold_pattern(_any_of(choice.hints))] if choice.hints else [])
            for key, choice in criterion.choices.items()
        ]
        self.choice_names = {}
        for key, choice in criterion.choices.items():
            self.choice_names[normalise_key(key)] = key
            if choice.label:
                self.choice_names[normalise_key(choice.label)] = key
        self.parser = self._parser_name(criterion)
        self.money_context, self.money_distractors = self._money_words(criterion)
        self.label_number = self._label_number_pattern(criterion)
        self.choice_text = self._choice_text_pattern(criterion)
        self._field_values: dict[tuple[str, str], AnswerValue | None] = {}
        similar = _SIMILAR_KEYS.get(self.parser)
        self.similar_key = re.compile(similar) if similar and criterion.type != "text" else None

    @staticmethod
    def _parser_name(criterion: Criterion) -> str:
        if criterion.parser:
            return criterion.parser
        if criterion.type == "choice" and criterion.id in _ROLE_IDS:
            return "title"
        if criterion.type == "yes_no" and criterion.id == "need":
            return "need"
        return _DEFAULT_PARSER.get(criterion.type, criterion.type)

    @staticmethod
    def _money_words(criterion: Criterion) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """Budget words for a budget; otherwise the criterion's own label words ('revenue')."""
        about = f"{criterion.id} {criterion.label}".replace("_", " ")
        if "budget" in about.casefold():
            return BUDGET_CONTEXT, BUDGET_DISTRACTORS
        words = [re.escape(word.lower()) for word in re.findall(r"[A-Za-z]{4,}", about)]
        context = re.compile(r"\b(?:" + "|".join(words or ["budget"]) + r")\w*")
        return context, distractor_pattern(about)

    @staticmethod
    def _label_number_pattern(criterion: Criterion) -> re.Pattern[str]:
        """'<label or field name> (is|:|of) <number>' or '<number> <label>'."""
        names = {criterion.label.lower(), *(name.lower() for name in criterion.fields)}
        longest_first = sorted(names, key=len, reverse=True)
        flexible = "|".join(r"[\s_-]*".join(map(re.escape, name.split())) for name in longest_first)
        return re.compile(
            rf"\b(?:{flexible})\s*(?:[:=]|is|are|was|of|about|around|~)?\s*(?P<a>[-+]?(?:{DIGITS}))"
            rf"|(?P<b>{DIGITS})\s*(?:{flexible})\b"
        )

    @staticmethod
    def _choice_text_pattern(criterion: Criterion) -> list[tuple[str, re.Pattern[str]]]:
        patterns = []
        for key, choice in criterion.choices.items():
            names = [re.escape(choice.label)] if choice.label else []
            names.append(re.escape(key.replace("_", " ")))
            alternatives = [*choice.hints, *(rf"\b{name}\b" for name in names)]
            patterns.append((key, casefold_pattern("|".join(alternatives))))
        return patterns

    # --- 1. fields -------------------------------------------------------------------------

    def from_fields(self, text: LeadText, *, text_lines: bool = True) -> Answer | None:
        """The lead's named fields, then (with `text_lines`) `Key: value` lines in its text."""
        if self.criterion.fields_joined:
            return self.from_joined_fields(text)
        for key in self.keys:
            if key not in text.fields:
                continue
            name, raw = text.fields[key]
            if self.unanswered(raw):
                continue
            value = self.field_value(name, raw, text.calendar)
            if value is not None:
                return Answer(value=value, evidence=f"{name}: {raw}", source="field")
        if not text_lines:
            return None
        for pair, key, _ in text.pair_keys:
            if key in self.line_keys and not self.unanswered(pair.value):
                line = text.lower[pair.start : pair.end]
                value = self.parse_value(pair.value, line, text.calendar)
                if value is not None:
                    evidence = text.evidence(pair.start, pair.end)
                    return Answer(value=value, evidence=evidence, confidence=0.95)
        return None

    def from_joined_fields(self, text: LeadText) -> Answer | None:
        """`fields_joined`: every named field answered, read as one value ('may 5')."""
        parts = self.joined_parts(text.fields)
        if parts is None:
            return None
        raw = " ".join(raw for _, raw in parts)
        value = self.field_value(" ".join(name for name, _ in parts), raw, text.calendar)
        if value is None:
            return None
        evidence = "; ".join(f"{name}: {raw}" for name, raw in parts)
        return Answer(value=value, evidence=evidence, source="field")

    def joined_parts(self, fields: dict[str, tuple[str, str]]) -> list[tuple[str, str]] | None:
        """(name, value) of each named field, or None when one is missing or unanswered."""
        parts = []
        for key in self.keys:
            if key not in fields or self.unanswered(fields[key][1]):
                return None
            name, raw = fields[key]
            parts.append((name, raw.strip()))
        return parts

    def field_text(self, lead_fields: dict[str, str]) -> str | None:
        """The field value this criterion reads from a lead's fields (joined ones for
        `fields_joined`), lowercased as its hints see it; None when unanswered. For
        `rubric suggest`, which groups a criterion's raw values into choices."""
        fields: dict[str, tuple[str, str]] = {}
        for key, value in lead_fields.items():
            fields.setdefault(normalise_key(key), (key, value))
        if self.criterion.fields_joined:
            parts = self.joined_parts(fields)
            return None if parts is None else " ".join(raw for _, raw in parts).lower()
        for key in self.keys:
            if key in fields and not self.unanswered(fields[key][1]):
                return fields[key][1].strip().lower()
        return None

    def field_value(
        self, name: str, raw: str, calendar: Calendar | None = None
    ) -> AnswerValue | None:
        """`parse_value` of a lead field, remembered: CSV columns repeat the same few values,
        and a 45,000-row back-test would otherwise parse 'yes' and 'management' every row.
        A calendar date ('Q3', 'end of March') depends on the lead's day, so it is read
        afresh, and only when the value means nothing without one."""
        key = (name, raw)
        value = self._field_values.get(key, _NOT_PARSED)
        if value is _NOT_PARSED:
            if len(self._field_values) >= _MAX_REMEMBERED_FIELD_VALUES:
                self._field_values.clear()
            value = self._field_values[key] = self.parse_value(
                mask_injections(raw), f"{name}: {raw}"
            )
        if value is None and calendar is not None and self.criterion.type == "months":
            value = self.parse_value(mask_injections(raw), f"{name}: {raw}", calendar)
        return value

    def unanswered(self, raw: str) -> bool:
        value = raw.strip().casefold()
        return value in _BLANK or value in self.missing

    def parse_value(
        self, raw: str, line: str = "", calendar: Calendar | None = None
    ) -> AnswerValue | None:
        """A field value by the criterion's type; falls back to the criterion's hints, tried on
        the value and on its `Key: value` line (so a hint like 'budget: none' works too)."""
        kind = self.criterion.type
        value: AnswerValue | None
        if kind == "money":
            value = parse_money(raw)
        elif kind == "months":
            value = parse_timeline(raw, calendar)
        elif kind == "number":
            value = parse_headcount(raw) if self.parser == "headcount" else parse_field_number(raw)
        elif kind == "choice":
            value = self.choice_for(raw)
        elif kind == "yes_no":
            folded = raw.strip().casefold()
            value = True if folded in _YES else False if folded in _NO else None
        else:
            value = raw.strip()
        if value is None:
            raw, line = raw.lower(), line.lower()
            value = next(
                (v for pattern, v in self.hints if pattern.search(raw) or pattern.search(line)),
                None,
            )
        return _tidy(value)

    def choice_for(self, raw: str) -> str | None:
        exact = self.choice_names.get(normalise_key(raw))
        if exact:
            return exact
        lower = raw.lower()
        readings = [lower]
        if self.parser == "title":  # 'Geschäftsführerin', 'Gerente de Ventas' by meaning
            lower = readings[0] = own_title(lower)  # 'Assistant to the CEO' is an assistant
            readings.append(translate_titles(expand_abbreviations(lower)))
        for reading in readings:
            for key, patterns in self.choices:
                if any(pattern.search(reading) for pattern in patterns):
                    return key
        return None

    # --- 2. hints --------------------------------------------------------------------------

    def from_hints(self, text: LeadText) -> Answer | None:
        for pattern, value in self.hints:
            match = pattern.search(text.lower)
            if match and match.end() > match.start():
                evidence = text.evidence(*match.span())
                return Answer(value=value, evidence=evidence, confidence=0.9)
        return None

    # --- 3. built-in parsers ---------------------------------------------------------------

    def from_parser(self, text: LeadText) -> Answer | None:
        answer = self._from_similar_keys(text)
        if answer is not None:
            return answer
        found = self._parsers[self.parser](self, text)
        if found is None:
            return None
        evidence = text.evidence(found.start, found.end)
        if not evidence:
            return None
        return Answer(value=_tidy(found.value), evidence=evidence, confidence=found.confidence)

    def _from_similar_keys(self, text: LeadText) -> Answer | None:
        """A field or `Key: value` line whose key names what the parser reads but not in the
        rubric's words: 'Number of employees', 'Decision timeframe', 'When do you want to
        decide?'."""
        if self.similar_key is None:
            return None
        for name, raw, lowered in text.field_names:
            if self.similar_key.search(lowered) and not self.unanswered(raw):
                if _OTHER_DATE_KEY.search(lowered):
                    continue
                value = self.field_value(name, raw, text.calendar)
                if value is not None:
                    return Answer(value=value, evidence=f"{name}: {raw}", source="field")
        for pair, _, lowered in text.pair_keys:
            if _OTHER_DATE_KEY.search(lowered):
                continue
            if self.similar_key.search(lowered) and not self.unanswered(pair.value):
                line = text.lower[pair.start : pair.end]
                value = self.parse_value(pair.value, line, text.calendar)
                if value is not None:
                    evidence = text.evidence(pair.start, pair.end)
                    return Answer(value=value, evidence=evidence, confidence=0.9)
        return None

    def _money(self, text: LeadText) -> Found | None:
        context, distractors = self.money_context, self.money_distractors
        return find_money(text.lower, text.clauses, context=context, distractors=distractors)

    def _title(self, text: LeadText) -> Found | None:
        return self._title_from(text.roles, text) or self._title_from(text.shorthand_roles, text)

    def _title_from(self, candidates: list[RolePhrase], text: LeadText) -> Found | None:
        for candidate in candidates:
            role = refined(candidate, text.lower)
            if role is None or names_no_holder(text.lower, role.phrase_start):
                continue
            phrase = role.canonical or text.lower[role.phrase_start : role.phrase_end]
            expanded = expand_abbreviations(phrase)
            key = self._choice_in(expanded, role) or self._choice_in(
                translate_titles(expanded), role
            )
            if key is not None:
                return Found(key, role.start, role.end, 0.5 + role.priority / 20)
        return None

    def _choice_in(self, phrase: str, role: RolePhrase) -> str | None:
        for key, patterns in self.choices:
            for pattern in patterns:
                for match in pattern.finditer(phrase):
                    if role.canonical or not is_someone_elses(phrase, match.start()):
                        return key
        return None

    def _number(self, text: LeadText) -> Found | None:
        match = self.label_number.search(text.lower)
        if not match:
            return None
        value = parse_field_number(match["a"] or match["b"])
        return None if value is None else Found(value, match.start(), match.end(), 0.7)

    def _choice(self, text: LeadText) -> Found | None:
        best: tuple[int, str, int] | None = None
        for key, pattern in self.choice_text:
            match = pattern.search(text.lower)
            if match and match.end() > match.start() and (best is None or match.start() < best[0]):
                best = (match.start(), key, match.end())
        return Found(best[1], best[0], best[2], 0.6) if best else None

    _parsers: ClassVar[dict[str, Callable[[CriterionRules, LeadText], Found | None]]] = {
        "money": _money,
        "timeline": lambda self, text: text.timeline,
        "headcount": lambda self, text: text.headcount,
        "need": lambda self, text: text.need,
        "title": _title,
        "number": _number,
        "choice": _choice,
        "yes_no": lambda self, text: None,
        "text": lambda self, text: None,
    }

    def answer(self, text: LeadText) -> Answer | None:
        if self.criterion.fields_only or self.criterion.fields_joined:
            return self.from_fields(text, text_lines=False)
        return self.from_fields(text) or self.from_hints(text) or self.from_parser(text)


@dataclass(frozen=True)
class Writer:
    """What the lead's answers say about who is writing, for knockouts decided by it."""

    senior: bool = False  # their own role is worth at least half the authority points
    buyer: bool = False  # they state a problem of their own
    wants_to_buy: bool = False  # they say they want to buy ("for our own team")
    relays: bool = False  # they pass someone else's inquiry on to us

    @property
    def asks_for_itself(self) -> bool:
        return self.buyer or self.wants_to_buy


class KnockoutRules:
    """One knockout's rubric hints plus the built-in rule of the same id, if any, and the
    competitors the rubric names. Who is writing decides a hit that is only about a topic:
    "academic research" from a university's IT director buying software is no student, and
    "we offer same-day delivery to our customers" is a buyer describing their business."""

    def __init__(self, knockout: Knockout):
        self.id = knockout.id
        self.builtin = BUILTIN_RULES.get(knockout.id)
        patterns = [casefold_pattern(hint) for hint in knockout.hints]
        if self.builtin:
            patterns.extend(self.builtin.patterns)
        self.patterns = patterns
        self.competitor = competitor_pattern(knockout.competitors)

    def hit(self, text: LeadText, writer: Writer | None = None) -> KnockoutHit | None:
        writer = writer or Writer()
        for pattern in self.patterns:
            for match in pattern.finditer(text.lower):
                start, end = match.span()
                if (
                    end > start
                    and not said_by_us(text.lower, start)
                    and not guarded(self.builtin, text.lower, start, end)
                    and not self._about_something_else(text.lower, start, end, writer)
                    and not self._buyers_words(text.lower, start, end, writer)
                ):
                    return KnockoutHit(id=self.id, evidence=text.evidence(start, end))
        for pattern, also in self.builtin.paired if self.builtin else ():
            match = pattern.search(text.lower)
            if match and also.search(text.lower):
                return KnockoutHit(id=self.id, evidence=text.evidence(*match.span()))
        if self.competitor is not None:
            match = self.competitor.search(text.lower)
            if match:
                return KnockoutHit(id=self.id, evidence=text.evidence(*match.span()))
        if self.id == "spam":  # the free text, or what was typed into a form without one
            if text.text_start < len(text.masked):
                span = looks_like_gibberish(text.masked, text.text_start)
            else:
                span = looks_like_gibberish(field_values(text.masked))
            if span:
                return KnockoutHit(id=self.id, evidence=text.evidence(*span))
        return None

    def intent_hit(self, text: LeadText, writer: Writer) -> KnockoutHit | None:
        """What no pattern lists: a sentence whose intent is this knockout's, read by the
        sentence classifier ("I think we could fill your Q1 pipeline"). A lead that asks
        nothing for itself needs less of it: one sentence at BARE_INTENT_THRESHOLD, or two
        that read as not buying at SECONDED_INTENT_THRESHOLD each, the likelier of them this
        knockout's (it is the evidence)."""
        if writer.asks_for_itself:
            return self._intent_sentence(text, writer, INTENT_THRESHOLD)
        hit = self._intent_sentence(text, writer, BARE_INTENT_THRESHOLD)
        if hit is not None:
            return hit
        seconded = [
            found
            for found in intents_read(text.lower, SECONDED_INTENT_THRESHOLD)
            if not self._vetoed(text.lower, found.start, found.end, writer)
        ]
        if len(seconded) < 2:
            return None
        strongest = max(seconded, key=lambda found: found.mass)
        if INTENT_KNOCKOUTS[strongest.intent] != self.id:
            return None
        return KnockoutHit(id=self.id, evidence=text.evidence(strongest.start, strongest.end))

    def _intent_sentence(
        self, text: LeadText, writer: Writer, threshold: float
    ) -> KnockoutHit | None:
        """The first unguarded sentence read as this knockout's intent at `threshold`."""
        for start, end in intent_sentences(text.lower, self.id, threshold=threshold):
            if not self._vetoed(text.lower, start, end, writer):
                return KnockoutHit(id=self.id, evidence=text.evidence(start, end))
        return None

    def _vetoed(self, lower: str, start: int, end: int, writer: Writer) -> bool:
        return (
            guarded(self.builtin, lower, start, end)
            or wants_to_buy(lower, start, end)
            or self._about_something_else(lower, start, end, writer)
        )

    def _buyers_words(self, lower: str, start: int, end: int, writer: Writer) -> bool:
        """A seller's or a mass mailer's words in a buyer's lead (partners, resellers, "we
        offer", "unsubscribe") while no sentence reads as not buying: a referrer's partner
        words ("your referral partner") when they pass on someone's inquiry, a hit in a
        sentence that says the writer wants to buy ("we are a reseller and want your tool for
        our own team"), or a writer with a need of their own whose hit sentence the classifier
        reads as a buyer's line ('our referral partners send us leads'). Students, applicants
        and competitors name themselves, so their hits stand."""
        if self.id not in _TRADE_KNOCKOUTS or strongest_intent(lower) >= BARE_INTENT_THRESHOLD:
            return False
        if writer.relays or wants_to_buy(lower, start, end):
            return True
        mass = intent_mass(lower, start, end)
        if mass is None or mass >= BUYER_LINE_THRESHOLD:
            return False
        # spam's topic words ("crypto", "casino") in a sentence about the writer's company, in
        # a lead no sentence of which reads as bulk mail or a pitch: a business of that trade
        return writer.buyer or (
            self.id == "spam"
            and in_first_person(lower, start, end)
            and strongest_intent(lower) < SECONDED_INTENT_THRESHOLD
        )

    def _about_something_else(self, lower: str, start: int, end: int, writer: Writer) -> bool:
        """A word-level hit that says what the writer's business is, not what they want
        from us: a reseller or a crypto exchange with a problem of its own to solve is
        buying."""
        if self.id == "student" and writer.senior and not speaks_for_self(lower, start, end):
            return True
        if self.id == "vendor" and describes_own_business(lower, start, end):
            return True
        return (
            self.id in _BUSINESS_KNOCKOUTS
            and writer.buyer
            and not addresses_reader(lower, start, end)
            and not (self.id == "job_seeker" and speaks_for_self(lower, start, end))
        )


class RubricRules:
    """Everything compiled for one rubric version."""

    def __init__(
        self, rubric: Rubric, lead_intent: LinearModel | None, lead_need: LinearModel | None
    ):
        self.lead_intent = lead_intent
        self.lead_need = lead_need
        self.fiscal_start = rubric.fiscal_year_start
        self.criteria = [CriterionRules(criterion) for criterion in rubric.criteria]
        self.knockouts = [KnockoutRules(knockout) for knockout in rubric.knockouts]
        self.purchase_criteria = [
            rules for rules in self.criteria if rules.parser in _PURCHASE_PARSERS
        ]

    def _buyer(self, answers: dict[str, Answer], text: LeadText) -> bool:
        """The writer states a need of their own ('our quotes get lost'), not one they
        would solve for us ('your leads', 'many companies struggle'): read in the sentence
        the need's evidence comes from."""
        for rules in self.criteria:
            answer = answers.get(rules.id)
            if rules.parser == "need" and answer is not None and answer.value is True:
                start = text.original.find(answer.evidence)
                if start < 0:
                    return False
                return is_writers_problem(text.lower, start, start + len(answer.evidence))
        return False

    def _senior_writer(self, answers: dict[str, Answer]) -> bool:
        """The writer's own role is worth at least half the authority points (a manager, a
        director): someone who buys, whatever topic their text is about."""
        for rules in self.criteria:
            answer = answers.get(rules.id)
            if rules.parser == "title" and answer is not None:
                choice = rules.criterion.choices.get(str(answer.value))
                max_points = rules.criterion.max_points
                return choice is not None and max_points > 0 and 2 * choice.points >= max_points
        return False

    def _writers_trade(
        self, answers: dict[str, Answer], read: list[KnockoutRules]
    ) -> list[KnockoutHit]:
        """The writer's own title names a trade that places candidates or studies vendors
        (a recruitment consultant, a research associate), and they ask nothing for
        themselves: that knockout, with the title as evidence."""
        for rules in self.criteria:
            answer = answers.get(rules.id)
            if rules.parser != "title" or answer is None:
                continue
            title = answer.evidence.lower()
            return [
                KnockoutHit(id=knockout.id, evidence=answer.evidence)
                for knockout in read
                if knockout.id in WRITER_TRADES and WRITER_TRADES[knockout.id].search(title)
            ][:1]
        return []

    def _whole_lead(self, text: LeadText, read: list[KnockoutRules]) -> list[KnockoutHit]:
        """The knockout the whole lead reads as (lead_intent.py), when the rubric has it."""
        if self.lead_intent is None:
            return []
        found = read_intent(text.lower, self.lead_intent)
        if found is None or not any(rules.id == found.knockout for rules in read):
            return []
        return [KnockoutHit(id=found.knockout, evidence=text.evidence(found.start, found.end))]

    def extract(self, lead: Lead) -> Extraction:
        arrived = lead.received_at
        calendar = Calendar(arrived.date(), self.fiscal_start) if arrived else None
        text = LeadText(lead, calendar, self.lead_need)
        answers = {}
        for rules in within_budget(self.criteria):
            answer = rules.answer(text)
            if answer is not None:
                answers[rules.id] = answer
        writer = Writer(
            senior=self._senior_writer(answers),
            buyer=self._buyer(answers, text),
            wants_to_buy=says_it_buys(text.lower),
            relays=relays_a_lead(text.lower),
        )
        read: list[KnockoutRules] = []
        knockouts: list[KnockoutHit] = []
        for rules in within_budget(self.knockouts):  # the budget is looked at between rules
            read.append(rules)
            if hit := rules.hit(text, writer):
                knockouts.append(hit)
        if not knockouts and not writer.asks_for_itself and not writer.relays:
            knockouts = self._writers_trade(answers, read)  # names who they are: first
        if not knockouts:  # the classifier's reading only where the rules found none at all
            knockouts = [
                hit for rules in within_budget(read) if (hit := rules.intent_hit(text, writer))
            ]
        if not knockouts:  # then what the whole lead reads as
            knockouts = self._whole_lead(text, read)
        if any(hit.id == "spam" for hit in knockouts):
            answers = {}  # spam says nothing true about a lead: its "budget" is bait
        elif knockouts:
            for rules in self.purchase_criteria:
                answers.pop(rules.id, None)
        language = unread_language(lead.text) if lead.text else None
        note = UNREAD_NOTE.format(language=language) if language else None
        return Extraction(answers=answers, knockouts=knockouts, note=note)


class OfflineExtractor:
    """Answers rubric criteria from a lead's fields and text with deterministic rules."""

    name = "offline"

    def __init__(
        self,
        *,
        lead_intent: LinearModel | Literal["shipped"] | None = "shipped",
        lead_need: LinearModel | Literal["shipped"] | None = "shipped",
    ):
        """`lead_intent` and `lead_need`: the whole-lead models knockouts and needs are read
        with last; None for the rules and the sentence classifier alone."""
        self._lead_intent = shipped_intent_model() if lead_intent == "shipped" else lead_intent
        self._lead_need = shipped_need_model() if lead_need == "shipped" else lead_need
        self._by_version: dict[str, RubricRules] = {}
        self._last: tuple[Rubric, RubricRules] | None = None

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, Usage | None]:
        with scoring_one_lead():
            return self.rules_for(rubric).extract(lead), None

    def rules_for(self, rubric: Rubric) -> RubricRules:
        """Compiled rules, cached by rubric version (identity first: hashing costs a dump)."""
        last = self._last
        if last is not None and last[0] is rubric:
            return last[1]
        version = rubric.version
        rules = self._by_version.get(version)
        if rules is None:
            if len(self._by_version) >= _MAX_CACHED_RUBRICS:
                self._by_version.pop(next(iter(self._by_version)))
            rules = self._by_version[version] = RubricRules(
                rubric, self._lead_intent, self._lead_need
            )
        self._last = (rubric, rules)
        return rules


def _any_of(patterns: list[str]) -> str:
    """One regex matching what any of `patterns` matches (one search instead of several)."""
    return "|".join(
        alternative for pattern in patterns for alternative in split_alternatives(pattern)
    )


def _tidy(value: AnswerValue | None) -> AnswerValue | None:
    """Whole floats as ints (80000 rather than 80000.0); NaN and infinities are no answer."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    return value
