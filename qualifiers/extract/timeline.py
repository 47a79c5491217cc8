"""Timelines in months: 'ASAP', 'this quarter', 'within 90 days', '3-6 months' (-> 6).

A range counts at its latest end. Durations that are not a buying timeline ('6 months ago',
'a 12-month contract', 'for the past 2 years', '18 months of runway') are skipped.
"""

from __future__ import annotations

import math
import re

from qualifiers.extract.calendar import Calendar, find_calendar_deadlines
from qualifiers.extract.numbers import (
    DIGITS,
    WORD_NUMBER,
    parse_field_number,
    to_float,
    word_number,
)
from qualifiers.extract.patterns import (
    WordPattern,
    finditer_near,
    split_alternatives,
    word_patterns,
)
from qualifiers.extract.text import Found, unwrap_lines

# Each alternative starts with a literal word, so that `re` can scan for them quickly.
_PHRASES: list[tuple[str, float]] = [
    (
        r"asap|as soon as (?:possible|we can)|urgent(?:ly)?|immediately|right away|"
        r"straight away|this week|next week|end of (?:the|this) week|in the coming days|"
        r"next (?:few|couple of) days|in (?:a|the next) week or two|"
        r"within (?:a|the next) week or two|a week or two|the next week or two",
        1,
    ),
    (
        r"this month|the current month|end of (?:the |this )?month|"
        r"in (?:the )?(?:next|coming) (?:few|couple(?: of)?) weeks|"
        r"within (?:the )?(?:next|coming) (?:few|couple(?: of)?) weeks|"
        r"in (?:a|the) (?:few|couple(?: of)?) weeks|a (?:few|couple(?: of)?) weeks|"
        r"the (?:few|couple(?: of)?) weeks|coming weeks|next few weeks|within (?:a|one) month|"
        r"in a month",
        1,
    ),
    (
        r"next month|end of next month|early next month|by next month|"
        r"in (?:the next|a) month or two|within (?:the next|a) month or two|"
        r"the next month or two|a month or two",
        2,
    ),
    (
        r"this (?:quarter|qtr)|the current quarter|current quarter|end of (?:the |this )?quarter|"
        r"within (?:the|this|a) quarter|in (?:the|this|a) quarter|quarter[- ]end|eoq",
        3,
    ),
    (
        r"next (?:quarter|qtr)|end of next quarter|following quarter|within (?:the )?next quarter|"
        r"in (?:the )?next quarter",
        6,
    ),
    (
        r"this (?:fiscal |calendar )?year|the current (?:fiscal |calendar )?year|"
        r"end of (?:the |this )?year|by (?:the )?year[- ]end|before (?:the )?year[- ]end|"
        r"the year[- ]end|year[- ]end|eoy|within (?:a|the|one) year|in (?:a|the|one) year",
        12,
    ),
    (r"early next year|beginning of next year|start of next year", 12),
    (r"next (?:fiscal |calendar )?year|later next year|a year or two", 24),
]
# The same everyday words in German, French, Spanish, Dutch and Portuguese.
_FOREIGN_PHRASES: list[tuple[str, float]] = [
    (
        r"so schnell wie möglich|schnellstmöglich|sofort|umgehend|dringend|diese woche|"
        r"nächste woche|dès que possible|au plus vite|au plus tôt|cette semaine|"
        r"la semaine prochaine|lo antes posible|cuanto antes|lo más pronto posible|"
        r"esta semana|la próxima semana|zo snel mogelijk|zsm|deze week|volgende week|"
        r"o mais rápido possível|o quanto antes|o mais breve possível|esta semana|"
        r"próxima semana|urgente|urgentemente",
        1,
    ),
    (r"diesen monat|ce mois-ci|ce mois|este mes|deze maand|este mês", 1),
    (
        r"nächsten monat|le mois prochain|el (?:mes )?próximo(?: mes)?|el mes que viene|"
        r"volgende maand|próximo mês|no próximo mês|mês que vem",
        2,
    ),
    (
        r"dieses quartal|im laufenden quartal|ce trimestre|este trimestre|dit kwartaal|"
        r"neste trimestre",
        3,
    ),
    (
        r"nächstes quartal|im nächsten quartal|le trimestre prochain|el próximo trimestre|"
        r"volgend kwartaal|próximo trimestre",
        6,
    ),
    (r"dieses jahr|cette année|este año|dit jaar|este ano", 12),
    (
        r"nächstes jahr|l'année prochaine|el próximo año|el año que viene|volgend jaar|"
        r"próximo ano|ano que vem",
        24,
    ),
]
_PHRASE = WordPattern(r"\b(?:" + "|".join(pattern for pattern, _ in _PHRASES) + r")\b")
# Small groups, each skipped by its own literal pre-check: most leads are in English.
_FOREIGN_PHRASE = word_patterns(
    "|".join(
        rf"\b{alternative}(?![\w-])"
        for pattern, _ in _FOREIGN_PHRASES
        for alternative in split_alternatives(pattern)
    ),
    per_pattern=6,
)
_FOREIGN_KINDS = [(re.compile(pattern), months) for pattern, months in _FOREIGN_PHRASES]
_PHRASE_KINDS = [(re.compile(pattern), months) for pattern, months in _PHRASES]
_PHRASE_ANCHORS = WordPattern(
    r"\b(?:asap|soon|urgent\w*|immediately|away|weeks?|days|months?|quarter|qtr|eoq|years?|eoy)\b"
)
# "this year" after "we've had two outages" is the past, not a plan.
_PAST_BEFORE = re.compile(
    r"\b(?:has been|have been|had|'ve (?:had|been|seen)|was|were|did|lost|missed|caused|"
    r"finished|slipped|happened|so far|earlier|already|since)\b[^.!?\n]*$",
)
# "this year a shipment was delayed", "this month we missed two": an event, not a plan.
_PAST_AFTER = re.compile(
    r"[ \t]+(?:[a-z']+[ \t]+){0,2}?(?:was|were|had|did|went|got|happened|[a-z-]+ed)\b"
    r"(?<!\bneed)(?<!\bplanned)(?<!\bexpected)"
)
# An RFP's other dates: "Deadline for questions: 30 June", "proposals due 15 May".
_NOT_A_DECISION = re.compile(
    r"\b(?:questions?|clarifications?|submissions?|proposals?|bids?|tenders?|responses?|"
    r"offers?|quotes?|rfp|rfi|webinar|meeting|call|demo|event|conference|trade ?show|"
    r"founded|established)\b[^.!?\n]*$|\bsince[ \t]+$"
)
# "a decision before the board meeting on 25 September": that event's day is the deadline.
_DECIDED_BEFORE = re.compile(
    r"\b(?:decision|decid\w*|sign\w*|choos\w*|select\w*|award\w*|entscheid\w*|décid\w*|"
    r"decidir|beslis\w*)\b[^.!?\n]*?\b(?:before|ahead of|prior to|by|vor|avant|antes d[eo]|"
    r"voor)\b[^.!?\n]*$"
)
# "the decision has been pushed to Q1 2027": what was moved is still ahead.
_POSTPONED_TO = re.compile(
    r"\b(?:pushed|moved|postponed|delayed|deferred|rescheduled|shifted|slipped|put off)"
    r"(?:[ \t]+(?:back|out))?[ \t]+(?:to|until|till|into)[ \t]+(?:the[ \t]+)?$"
)
# "go-live after our year-end freeze": a period the decision comes after is no deadline.
_AFTER = re.compile(r"\bafter[ \t]+(?:the[ \t]+|our[ \t]+|this[ \t]+)?$")
_PRESENT_BEFORE = re.compile(
    r"\b(?:is|are|be|been|being|get|gets|to|will|'ll|'re|if|once|when|until|unless|as)[ \t]+$"
)

_QTY = rf"(?:(?P<num>{DIGITS})|(?P<word>{WORD_NUMBER})\b)"
_QTY2 = rf"(?:(?P<num2>{DIGITS})|(?P<word2>{WORD_NUMBER})\b)"
_UNIT = (
    r"(?P<unit>days?|weeks?|wks?|months?|mos?|quarters?|years?|yrs?|tagen?|wochen?|monate?n?|"
    r"jahre?n?|jours?|semaines?|mois|ans|années?|días|semanas?|mes(?:es)?|años?|dagen|weken|"
    r"maanden?|jaar|jaren|dias|meses|anos?)"
)
_UNIT_WORD = WordPattern(rf"\b{_UNIT}\b")

_LEAD = (
    r"(?P<lead>(?:within|in|over|more than|longer than|beyond|at least|next|inside|under|"
    r"less than|before|max(?:imum)?|up to|no later than|the next|in the next|within the next|"
    r"over the next|in the coming|the coming|another|innerhalb von|innerhalb|in den nächsten|"
    r"binnen|dans les|d'ici|en los próximos|en las próximas|dentro de|en menos de|"
    r"nos próximos|nas próximas|binnen de|in de komende|em|en|dans)\s+)"
)
_AMOUNT_OF_TIME = (
    rf"(?:about |around |roughly |approximately |approx\.? |~|only |just )?{_QTY}"
    rf"(?:\s*(?:-|–|—|to|or)\s*{_QTY2})?(?P<plus>\s?\+)?[\s-]?{_UNIT}\b"
    r"(?P<and_half> and a half)?(?P<out>\s+(?:out|from now|away|time)\b)?"
)
# "within 90 days": led by a preposition, so quick to scan for in free text.
_LED_DURATION = WordPattern(rf"\b{_LEAD}{_AMOUNT_OF_TIME}")
# "8-10 months out", or a form value "6 months": searched near unit words only.
_DURATION = re.compile(rf"\b{_LEAD}?{_AMOUNT_OF_TIME}")
_FROM_NOW = re.compile(r"(?:days?|weeks?|months?|years?) (?:out|from now|away)\b")
_NOT_TIMELINE_AFTER = re.compile(
    r"\s*(?:ago|old|later|back|of (?:runway|data|history|usage|experience|free|trial)|"
    r"(?:free )?trial|free|contract|subscription|term|commitment|warranty|payback|notice|"
    r"pilot|lease|deal|licen[cs]e|plan|agreement|cycle|retention|runway|in business|"
    r"(?:of )?(?:experience|operation|operating))\b",
)
# A timeline is about buying: it must share its sentence with one of these words.
_STRONG_CONTEXT = re.compile(
    r"\b(?:timeline|timeframe|time frame|deadline|decid\w*|decision|buy\w*|purchas\w*|"
    r"go[- ]live|live|launch\w*|implement\w*|roll[- ]?out|deploy\w*|in place|up and running|"
    r"sign\w*|kick[- ]?off|chos\w+|choos\w*|pick(?:ed|ing)?|select\w*|migrat\w+|switch\w*|"
    r"onboard\w*|"
    r"rollout|start\w*|adopt\w*|replace\w*|contract|revisit\w*|circle back|reconnect|"
    r"look again|finali[sz]e\w*|award\w*|po|purchase order|make a call|final call|"
    r"entscheid\w*|kauf\w*|einführ\w*|"
    r"zuschlag\w*|vergabe\w*|adjudica\w*|gunning|"
    r"umsetz\w*|"
    r"décid\w*|décision|achet\w*|mettre en place|déploy\w*|lancer|signer|decidir|decisión|"
    r"comprar|implementar|implantar|contratar|firmar|beslis\w*|kopen|invoeren|implementeren|"
    r"tekenen|decisão|assinar|"
    r"keuze|kiezen|besluit\w*|in gebruik|starten|einsatz|einführung|produktiv|loslegen|"
    r"choisir|choix|démarr\w*|en place|en production|elegir|implementaci[óo]n|implantaç[ãa]o|"
    r"contrat\w+|funcionando|operativo|arrancar|rodando|no ar|decid\w+|resolver)\b",
)
_WEAK_CONTEXT = re.compile(
    r"\b(?:need\w*|want\w*|looking|hop\w+|plan\w*|like|expect\w*|aim\w*|target\w*|rush|"
    r"hurry|urgen\w*|seats?|licen[cs]es?|upgrad\w*|order\w*|"
    r"evaluat\w+|explor\w+|get|have something|solution|tool|something|move|must|"
    r"go ahead|move forward|proceed|do anything|look at|look into|maybe|might|perhaps|"
    r"think(?:ing)?(?: about it)?|talk(?: properly)?|sorted|fixed|"
    r"necesit\w*|queremos|quer\w+|precis\w+|willen|wil|wollen|brauchen|möchten|voulons|"
    r"voudrions|veut|veux|besoin|souhait\w*|gostar\w*|gepland|geplant|planead\w*|"
    r"planejad\w*|prévu\w*|hebben|haben|avoir|tener|ter)\b",
)
# A full stop ends a sentence, a run of dots does not: "Contract award ...... 1 August".
_SENTENCE = re.compile(r"(?<!\.)\.(?!\.)|[!?\n]")
_DATE_REACH = 25  # a calendar date this close after a phrase like "this year" refines it
# How far a sentence is read either side of a timeline: a text without full stops would
# otherwise be one sentence, rescanned for every timeline in it.
_SENTENCE_REACH = 400
_MONTHS_OUT = re.compile(r"\b(?:out|from now|away)$")


def find_timeline(
    text: str, *, bare: bool = False, calendar: Calendar | None = None
) -> Found | None:
    """The buying timeline in months. In free text a timeline shares its sentence with a buying
    word ('decide', 'go live', 'need'); the first next to a strong one wins. `bare` (form
    values) takes the first timeline as is. With a `calendar` (when the lead arrived), dates
    such as 'by end of February' or 'Q3' count from its day and win over the fixed reading
    of words like 'year-end'."""
    if not bare:
        text = unwrap_lines(text)  # "we'd like to decide\nby end of May" is one sentence
    dated = [
        found
        for found in (find_calendar_deadlines(text, calendar, bare=bare) if calendar else ())
        if bare
        or not (
            _in_the_past(text, found.start, found.end)
            or _other_date(text, _sentence_start(text, found.start), found.start)
        )
    ]
    candidates: list[Found] = list(dated)
    phrases = [
        (match, _PHRASE_KINDS) for match in finditer_near(_PHRASE, _PHRASE_ANCHORS, text, before=30)
    ]
    phrases.extend(
        (match, _FOREIGN_KINDS) for group in _FOREIGN_PHRASE for match in group.finditer(text)
    )
    for match, kinds in phrases:
        if text.endswith(("not ", "no ", "non-"), 0, match.start()):
            continue  # "not urgent", "no rush": the opposite of a deadline
        if text.startswith(("'s", "’s"), match.end()):
            continue  # "this year's budget" names a budget, not a deadline
        if not bare and _in_the_past(text, match.start(), match.end()):
            continue
        if any(
            found.start < match.end() + _DATE_REACH and match.start() < found.end for found in dated
        ):
            continue  # "this fiscal year (until March end)": the date says which day
        months = next(m for kind, m in kinds if kind.fullmatch(match.group()))
        candidates.append(Found(months, match.start(), match.end(), 0.8))
    if bare or _FROM_NOW.search(text):
        durations = finditer_near(_DURATION, _UNIT_WORD, text, before=40)
    else:
        durations = _LED_DURATION.finditer(text)
    for match in durations:
        months = _duration_months(match)
        if months is None or _skipped(text, match, bare):
            continue
        candidates.append(Found(months, match.start(), match.end(), 0.8))
    if not bare and len(candidates) > 1:
        later = [found for found in candidates if not _comes_after(text, found.start)]
        candidates = later or candidates
    if not candidates:
        return None
    candidates.sort(key=lambda found: found.start)
    if bare:
        return candidates[0]
    for found in candidates:
        if _MONTHS_OUT.search(text, found.start, found.end):
            return found
    for context in (_STRONG_CONTEXT, _WEAK_CONTEXT):
        best: tuple[int, Found] | None = None
        for found in candidates:
            if best is not None and _sentence_start(text, found.start) > best[1].end:
                break  # the first sentence with a buying word decides
            distance = _context_distance(text, found, context)
            if distance is not None and (best is None or distance < best[0]):
                best = (distance, found)
        if best is not None:
            return best[1]
    return None


# "signed by mid-July so it's live for the September intake": what the purchase is for.
_PURPOSE = re.compile(r"\bso (?:that |we |it|they |i )")
_PURPOSE_PENALTY = 10_000  # any timeline of the decision itself comes first


def _context_distance(text: str, found: Found, context: re.Pattern[str]) -> int | None:
    """How far the nearest buying word of its clause is from a timeline ('decide by end of
    May' binds closer than 'set aside this year'), or None when the sentence has none; a
    purpose clause ('so we can implement in Q1') is read apart from the decision before it."""
    start, end = _sentence_start(text, found.start), _sentence_end(text, found.end)
    purpose = _PURPOSE.search(text, found.end, end)
    if purpose is not None:
        end = purpose.start()
    before = [match.end() for match in context.finditer(text, start, found.start)]
    after = context.search(text, found.end, end)
    distances = [found.start - before[-1]] if before else []
    if after is not None:
        distances.append(after.start() - found.end)
    if not distances:
        return None
    in_purpose = _PURPOSE.search(text, start, found.start) is not None
    return min(distances) + (_PURPOSE_PENALTY if in_purpose else 0)


def _comes_after(text: str, start: int) -> bool:
    """'after (our) ' right before `start`; only the last 'after' before it can be that, so
    the regex is tried from there instead of over everything before it."""
    after = text.rfind("after", 0, start)
    return after >= 0 and _AFTER.search(text, after, start) is not None


def _other_date(text: str, sentence_start: int, start: int) -> bool:
    """An RFP's question or proposal deadline, a demo call: a day that is not the decision's,
    unless the decision is due before it."""
    return bool(
        _NOT_A_DECISION.search(text, sentence_start, start)
        and not _DECIDED_BEFORE.search(text, sentence_start, start)
    )


def _in_the_past(text: str, start: int, end: int) -> bool:
    if _POSTPONED_TO.search(text, max(0, start - 40), start):
        return False
    return bool(
        _PAST_BEFORE.search(text, _sentence_start(text, start), start)
        or _reports_an_event(text, end)
    )


def _reports_an_event(text: str, end: int) -> bool:
    """'this year [a service was delayed]': the words right after a phrase are in the past."""
    past = _PAST_AFTER.match(text, end)
    if past is None:
        return False
    verb = text.rfind(" ", end, past.end() - 1) + 1
    return not _PRESENT_BEFORE.search(text, end, verb)


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence around `position` starts, looking back at most `_SENTENCE_REACH`."""
    reach = max(0, position - _SENTENCE_REACH)
    stop = max(text.rfind(c, reach, position) for c in "!?\n")
    dot = text.rfind(".", reach, position)
    while dot > stop and "." in (text[dot - 1 : dot], text[dot + 1 : dot + 2]):
        dot = text.rfind(".", reach, dot)  # a run of dots (a table's leader) reads on
    return max(reach - 1, stop, dot) + 1


def _sentence_end(text: str, position: int) -> int:
    """Where the sentence around `position` ends, looking ahead at most `_SENTENCE_REACH`."""
    end_match = _SENTENCE.search(text, position, position + _SENTENCE_REACH)
    return end_match.start() if end_match else min(len(text), position + _SENTENCE_REACH)


def _skipped(text: str, match: re.Match[str], bare: bool) -> bool:
    if _NOT_TIMELINE_AFTER.match(text, match.end()):
        return True
    unit_start = match.start("unit")
    if (
        unit_start
        and text[unit_start - 1] == "-"
        and not re.match(r"\s*(?:timeline|timeframe|window|horizon|deadline)", text[match.end() :])
    ):
        return True  # "a 12-month contract"
    return not (bare or match["lead"] or match["out"])


_BEYOND = ("more than", "longer than", "beyond", "at least")


def _duration_months(match: re.Match[str]) -> float | None:
    low = to_float(match["num"]) if match["num"] else word_number(match["word"])
    high = None
    if match["num2"] or match["word2"]:
        high = to_float(match["num2"]) if match["num2"] else word_number(match["word2"])
    value = high if high is not None and low is not None and high >= low else low
    if value is None or value <= 0:
        return None
    if match["and_half"]:
        value += 0.5
    months = value * _unit_months(match["unit"])
    if match["plus"] or (match["lead"] or "").strip().lower() in _BEYOND:
        months += 1
    if months > 120:
        return None
    return float(max(1, math.ceil(months - 1e-9)))


_UNIT_KINDS = (
    (re.compile(r"(?:day|tag|jour|día|dag|dia)"), 1 / 30),
    (re.compile(r"(?:w|semaine|semana|woche|weke)"), 12 / 52),
    (re.compile(r"(?:m|monat|mois|mes|maand)"), 1),
    (re.compile(r"q"), 3),
    (re.compile(r"(?:y|jahr|an|año|jaar|jare|ano)"), 12),
)


def _unit_months(unit: str) -> float:
    """Months per unit word, in English or the other languages leads arrive in."""
    unit = unit.lower()
    return next(months for kind, months in _UNIT_KINDS if kind.match(unit))


def parse_timeline(value: str, calendar: Calendar | None = None) -> float | None:
    """A form value: '3-6 months' -> 6, 'ASAP' -> 1, '30 days' -> 1, '6' -> 6 (months); with
    a `calendar`, also 'Q3' or 'end of March'."""
    value = value.lower()
    found = find_timeline(value, bare=True, calendar=calendar)
    if found is not None:
        return float(found.value)
    number = parse_field_number(value, high_end=True)
    if number is None or number < 0 or re.search(r"[a-zA-Z]", value):
        return None
    return number
