"""Calendar deadlines resolved against the day a lead arrived.

"by end of February", "before 1 January", "Q3", "EOQ", "H2", "next spring", "in 2027",
"by Friday", "Ende März", "fin de juin", "antes de marzo", "eind mei", "até março": each is
turned into a date counted from `Calendar.as_of` and then into months the way the labelling
guide does (days / 30.4, rounded up). Quarters and halves follow the rubric's fiscal-year
start. A month without a year is the next one that has not ended; a date already past is no
timeline; anything more than 120 months out is dropped.

Runs on lowercased text; every result is a `Found` whose span is the words that say it.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from qualifiers.extract.patterns import WordPattern, finditer_near
from qualifiers.extract.text import Found

MAX_MONTHS = 120
_DAYS_PER_MONTH = 30.4


@dataclass(frozen=True, slots=True)
class Calendar:
    """What a calendar expression is counted from: the arrival day and the fiscal-year start."""

    as_of: date
    fiscal_start: int = 1  # month the fiscal year starts, 1 = January

    def months_until(self, deadline: date) -> float | None:
        """Months from `as_of` to `deadline` (days / 30.4 rounded up, at least 1); None when the
        deadline is past or beyond 120 months."""
        days = (deadline - self.as_of).days
        if days < 0:
            return None
        months = max(1, math.ceil(days / _DAYS_PER_MONTH - 1e-9))
        return float(months) if months <= MAX_MONTHS else None


def _month_end(year: int, month: int) -> date:
    return date(year, month, _stdlib_calendar.monthrange(year, month)[1])


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) moved by `months`."""
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


# --- month names in the languages leads arrive in -------------------------------------------

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "janvier", "enero", "januari", "janeiro"),
    2: ("february", "feb", "februar", "février", "fevrier", "febrero", "februari", "fevereiro"),
    3: ("march", "mar", "märz", "maerz", "mars", "marzo", "maart", "março", "marco"),
    4: ("april", "apr", "avril", "abril"),
    5: ("may", "mai", "mayo", "mei", "maio"),
    6: ("june", "jun", "juni", "juin", "junio", "junho"),
    7: ("july", "jul", "juli", "juillet", "julio", "julho"),
    8: ("august", "aug", "août", "aout", "agosto", "augustus"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "setembro"),
    10: ("october", "oct", "oktober", "octobre", "octubre", "outubro"),
    11: ("november", "nov", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "dezember", "décembre", "decembre", "diciembre", "dezembro"),
}
_MONTH_BY_NAME = {name: month for month, names in _MONTH_NAMES.items() for name in names}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTH_BY_NAME, key=len, reverse=True)) + r")\.?"
# Words that are also ordinary words or names: a month only next to a date word or a number.
_AMBIGUOUS_MONTHS = frozenset({"may", "mar", "march", "jan", "marco", "mei", "dec", "sep"})

# What a preposition before a date says about the day meant: the end, start or middle of it,
# or the day before it. Plain "by/in/until" mean the end of the month named.
_END = (
    r"(?:by |before |until |till |no later than )?(?:the )?(?:end|close) of(?: the)?|late|"
    r"ende|bis ende|fin(?: de| du| del)?|(?:a )?finales de|fin de|final de|"
    r"(?:no |até o |ao |até ao )?(?:final|fim) d[eo]|"
    r"eind|tegen eind|uiterlijk eind"
)
_START = (
    r"(?:by |before |at )?(?:the )?(?:start|beginning) of(?: the)?|anfang|début(?: de)?|debut|"
    r"(?:a )?principios de|inicio de|comienzos de|begin|início de|inicio|começo de"
)
_EARLY = r"early|early in|earlier in"
_MID = r"mid|mid-|middle of(?: the)?|mitte|mi-|mediados de|medio|half|meados de"
_BEFORE = (
    r"before|b4|prior to|ahead of|vor(?: dem)?|avant(?: le)?|antes de(?:l)?|voor|vóór|"
    r"not later than"
)
_BY = (
    r"by|in|until|till|through|during|for|around|on|within|"
    r"bis|im|bis zum|spätestens|en|d'ici|para|hasta|em|até|no|tegen|uiterlijk|op|per"
)
_MODIFIER = (
    rf"(?:(?P<end>{_END})|(?P<start>{_START})|(?P<early>{_EARLY})|(?P<mid>{_MID})|"
    rf"(?P<before>{_BEFORE})|(?P<by>{_BY}))(?:[ \t]+|(?<=-))"
)
# "September at the latest", "septembre au plus tard": a month read as its end.
_AT_THE_LATEST = (
    r"at the latest|latest|end|au plus tard|a más tardar|como muy tarde|como máximo|spätestens|"
    r"uiterlijk|no máximo|o mais tardar|at the very latest"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.|º)?"
_DAY_AFTER = r"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>20\d\d|'\d\d)"
_OF = r"(?:[ \t]+(?:of|de|du|des|van)(?:[ \t]+(?:the|le))?)?"
# "end of February", "before 1 January", "by March 15th, 2027", "15. März", "le 15 mars".
_MONTH_DATE = re.compile(
    rf"(?<![\w-])(?:{_MODIFIER})?(?:(?:the|le|el|o|den|de)[ \t]+)?(?:{_DAY}{_OF}[ \t]+)?{_MONTH}"
    rf"(?![\w-])(?:[ \t]+{_DAY_AFTER}(?![\d:]))?(?:,?[ \t]+(?:de[ \t]+|of[ \t]+)?{_YEAR})?(?![\w-])"
    rf"(?:,?[ \t]+(?P<latest>{_AT_THE_LATEST}))?"
)
_ISO_DATE = re.compile(
    rf"(?<![\w-])(?:{_MODIFIER})?(?:(?P<iy>20\d\d)-(?P<im>[01]?\d)-(?P<id>[0-3]?\d)|"
    r"(?P<ed>[0-3]?\d)\.(?P<em>[01]?\d)\.(?P<ey>20\d\d)|"
    r"(?P<sa>[0-3]?\d)/(?P<sb>[0-3]?\d)/(?P<sy>20\d\d))(?![\w-])"
)

# --- quarters, halves, fiscal and calendar years, seasons, weekdays --------------------------

_ORDINAL = {"1": 1, "2": 2, "3": 3, "4": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}
_ORDINAL["1st"], _ORDINAL["2nd"], _ORDINAL["3rd"], _ORDINAL["4th"] = 1, 2, 3, 4
_ORDINAL["primeiro"], _ORDINAL["primer"], _ORDINAL["segundo"] = 1, 1, 2
# "el tercer trimestre", "das dritte Quartal", "het derde kwartaal", "le premier semestre"
_FOREIGN_ORDINALS = {
    1: ("primer", "primero", "primeiro", "premier", "erste", "ersten", "erstes", "eerste"),
    2: ("segundo", "deuxième", "second", "zweite", "zweiten", "zweites", "tweede"),
    3: ("tercer", "tercero", "terceiro", "troisième", "dritte", "dritten", "drittes", "derde"),
    4: ("cuarto", "quarto", "quatrième", "vierte", "vierten", "viertes", "vierde"),
}
_ORDINAL.update({word: n for n, words in _FOREIGN_ORDINALS.items() for word in words})
_FOREIGN_ORDINAL = "|".join(word for words in _FOREIGN_ORDINALS.values() for word in words)
_FOREIGN_ARTICLE = r"(?:(?:el|o|le|la|im|het|das|des|del|do|du|den|dem)[ \t]+)?"
_FY = r"(?:fy[ \t]?(?P<fy>20\d\d|\d\d)|(?P<qy>20\d\d|'\d\d))"
# "before Q2 ends", "before H1 is over": the period's last day, not its first.
_PERIOD_OVER = r"(?P<over>[ \t]+(?:ends|is over|closes|finishes|runs out)\b)?"
_PERIOD_YEAR = rf"(?:[ \t]*(?:/|-|,|of|de|van|von|du|del|do|da)?[ \t]*{_FY})?"
_QUARTER = re.compile(
    rf"(?<![\w-])(?:{_MODIFIER}(?:the[ \t]+)?)?(?:(?P<fy0>fy[ \t]?\d\d(?:\d\d)?)[ \t]+)?"
    r"(?:q(?P<q>[1-4])|(?P<q2>[1-4])q|"
    r"(?<=[ \t])t(?P<qt>[1-4])(?=[ \t]+20\d\d|[ \t]*[.,;!?]|$)|"
    r"(?:the[ \t]+)?(?P<qw>first|second|third|fourth|1st|2nd|3rd|"
    r"4th)[ \t]+(?:fiscal[ \t]+)?quarter|(?P<qtr>[1-4])(?:er|e|º|o)?[ \t]+(?:quartal|trimestre|"
    rf"kwartaal)|{_FOREIGN_ARTICLE}(?P<qf>{_FOREIGN_ORDINAL})[ \t]+"
    r"(?:quartals?|trimestre|kwartaal))"
    rf"(?![\w-]){_PERIOD_YEAR}(?![\w-]){_PERIOD_OVER}"
)
_HALF = re.compile(
    rf"(?<![\w-])(?:{_MODIFIER}(?:the[ \t]+)?)?(?:(?P<fy0>fy[ \t]?\d\d(?:\d\d)?)[ \t]+)?"
    r"(?:h(?P<h>[12])|(?P<h2>[12])h|(?:(?:o[ \t]+|el[ \t]+)?(?P<hp>primeiro|segundo|primer)[ \t]+"
    rf"semestre|{_FOREIGN_ARTICLE}(?P<hf>{_FOREIGN_ORDINAL})[ \t]+(?:semestre|halbjahr|"
    r"jahreshälfte|helft|halfjaar)|"
    r"(?:the[ \t]+)?(?P<hw>first|second|1st|2nd)[ \t]+(?:half|semester))"
    rf"(?:[ \t]+(?:of|do|de|del)[ \t]+(?:the[ \t]+|o[ \t]+|el[ \t]+)?(?:this|next|próximo|"
    rf"proximo|próximo)?[ \t]*(?:fiscal[ \t]+)?(?:year|ano|año))?)(?![\w-]){_PERIOD_YEAR}"
    rf"(?![\w-]){_PERIOD_OVER}"
)
_QUARTER_END = WordPattern(
    r"\beoq\b|\bend of (?:the |this )?(?:fiscal )?quarter\b|\bquarter[- ]end\b"
)
_YEAR_END = WordPattern(
    r"\b(?:eoy|end of (?:the |this )?(?:calendar )?year|year[- ]end|"
    r"jahresende|ende des jahres|fin (?:de l'année|d'année)|fin de año|final de año|"
    r"fim do ano|final do ano|eind van het jaar|einde van het jaar|jaareinde)(?![\w-])"
)
_FISCAL_YEAR_END = WordPattern(
    r"\b(?:fye|fy[- ]end|end of (?:the |this |our |our current )?(?:fiscal|financial) year|"
    r"(?:fiscal|financial)[- ]year[- ]end|before (?:the |our )?(?:current )?(?:fiscal|financial) "
    r"year (?:ends|closes|is over)|before (?:the |our )?(?:new |next )?(?:fiscal|"
    r"financial) year (?:starts|begins|kicks off)|before (?:the |our )?(?:new |next )"
    r"(?:fiscal|financial) year|before (?:the )?(?:start|beginning) of (?:the |our )?"
    r"(?:new |next )?(?:fiscal|financial) year)(?![\w-])"
)
_THIS_FISCAL_YEAR = WordPattern(
    r"\b(?:within |in |during |by the end of )?(?:this|the current|our current) "
    r"(?:fiscal|financial) year(?![\w-])"
)
_YEAR_ALONE = re.compile(
    rf"(?<![\w-])(?:(?P<end>{_END})|(?P<early>{_EARLY}|{_START})|(?P<mid>{_MID})|"
    r"(?P<before>before|prior to|vor|avant|antes de)|(?P<by>in|by|during|for|within|"
    r"sometime in|im (?:jahr|laufe von)|en|para|em|durante|in de loop van))[ \t]+"
    r"(?P<year>20\d\d)(?![\w-])"
)
_SEASONS = {
    "spring": 5,
    "summer": 8,
    "autumn": 11,
    "fall": 11,
    "winter": 2,
    "frühling": 5,
    "frühjahr": 5,
    "sommer": 8,
    "herbst": 11,
    "printemps": 5,
    "été": 8,
    "automne": 11,
    "hiver": 2,
    "primavera": 5,
    "verano": 8,
    "otoño": 11,
    "invierno": 2,
    "voorjaar": 5,
    "lente": 5,
    "zomer": 8,
    "najaar": 11,
    "herfst": 11,
    "verão": 8,
    "outono": 11,
    "inverno": 2,
}
_SEASON = re.compile(
    r"(?<![\w-])(?P<which>next|this|this coming|the coming|coming|in the|by the|by|in|until the|"
    r"over the|during the|early|late|mid|before|before the|im|bis zum|im nächsten|nächsten|"
    r"diesen|ce|cet|au|à l'|d'ici l'|en|el próximo|la próxima|este|esta|en la|na|no|próximo|"
    r"próxima|deze|komende|volgend|in het|in de)[ \t]+(?P<season>"
    + "|".join(sorted(_SEASONS, key=len, reverse=True))
    + rf")(?![\w-])(?!\s+(?:through|behind|apart|off|into|short|over|for|back))(?:[ \t]+{_YEAR})?"
)
_WEEKDAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|"
    r"fri|montag|dienstag|mittwoch|donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|"
    r"lunes|martes|miércoles|jueves|viernes|maandag|dinsdag|woensdag|donderdag|vrijdag|"
    r"segunda|terça|quarta|quinta|sexta"
)
_WEEKDAY = re.compile(
    r"(?<![\w-])(?P<which>by|before|until|on|next|this|this coming|coming|bis|vor|am|nächsten|"
    r"avant|d'ici|pour|antes del|el|para el|hasta el|voor|uiterlijk|op|até|na|antes de)[ \t]+"
    rf"(?P<day>{_WEEKDAYS})(?![\w-])"
)
# The word each kind of expression contains. Patterns are tried only shortly before one
# (`finditer_near`), so most leads, which name no date, cost one quick scan per kind.
_BEFORE_ANCHOR = 45


def _anchor(words: str) -> WordPattern:
    return WordPattern(rf"\b(?:{words})(?![\w-])")


_MONTH_ANCHOR = _anchor("|".join(sorted(_MONTH_BY_NAME, key=len, reverse=True)))
_NUMERIC_ANCHOR = WordPattern(
    r"\b(?:20\d\d-[01]?\d-[0-3]?\d|[0-3]?\d\.[01]?\d\.20\d\d|[0-3]?\d/[0-3]?\d/20\d\d)"
)
_QUARTER_ANCHOR = WordPattern(r"\b(?:q[1-4]|[1-4]q|t[1-4]|quarter|quartal|trimestre|kwartaal)")
_HALF_ANCHOR = WordPattern(
    r"\b(?:h[12]|[12]h|half|semester|semestre|halbjahr|jahreshälfte|helft|halfjaar)\b"
)
_YEAR_ANCHOR = WordPattern(r"\b20\d\d\b")
_SEASON_ANCHOR = _anchor("|".join(sorted(_SEASONS, key=len, reverse=True)))
_WEEKDAY_ANCHOR = _anchor(_WEEKDAYS)


_STATED_FISCAL_START = re.compile(
    r"\b(?:fiscal|financial)[ \t]+year[ \t]+(?:starts|begins|kicks off|runs from|starting|"
    r"beginning)[ \t]+(?:on[ \t]+|in[ \t]+)?(?:the[ \t]+)?"
    r"(?:1st[ \t]+of[ \t]+|1[ \t]+|first[ \t]+of[ \t]+)?"
    rf"{_MONTH}(?![\w-])"
    r"|\b(?:fiscal|financial)[ \t]+year[ \t]+(?:is|runs)[ \t]+(?:from[ \t]+)?"
    rf"{_MONTH.replace('month', 'month2')}[ \t]*(?:-|–|to|through)[ \t]*"
)


def _stated_fiscal_start(text: str) -> int | None:
    """'our fiscal year starts in July', 'FY runs April to March': the lead's own fiscal year,
    which wins over the rubric's for that lead."""
    if "fiscal" not in text and "financial" not in text:
        return None
    match = _STATED_FISCAL_START.search(text)
    if match is None:
        return None
    return _MONTH_BY_NAME[match["month"] or match["month2"]]


def find_calendar_deadlines(text: str, calendar: Calendar, *, bare: bool = False) -> list[Found]:
    """Every calendar deadline in `text` (lowercased), with its months from `calendar.as_of`.
    `bare` (a form value such as 'Timeline: March') also reads a month name on its own. A
    fiscal year the lead describes ('ours starts in July') replaces the rubric's."""
    stated = _stated_fiscal_start(text)
    if stated is not None:
        calendar = Calendar(calendar.as_of, stated)
    found: list[Found] = []
    fiscal_ends: set[int] = set()
    fiscal_starts: set[int] = set()
    kinds = _kinds(text)
    for needs, resolve in _RESOLVERS:
        if kinds.isdisjoint(needs):
            continue
        for match, deadline in resolve(text, calendar, bare):
            if deadline == calendar.as_of and resolve in _DAY_RESOLVERS:
                continue  # "Chat started 01.12.2026": the day it arrived, not a deadline
            months = calendar.months_until(deadline) if deadline else None
            if months is not None:
                end = match.end() - match.group().endswith(".")  # "até março." ends the sentence
                found.append(Found(months, match.start(), end, 0.8))
                said = match.group()
                if resolve is _period_ends and _FISCAL_END_WORDS.search(said):
                    fiscal_ends.add(match.start())
                elif resolve is _period_ends and _FISCAL_WORDS.search(said):
                    fiscal_starts.add(match.start())
    found.sort(key=lambda item: (item.start, -item.end))
    found = [
        item
        for index, item in enumerate(found)
        if not (item.start in fiscal_ends and _dated_after(found, index))
        and not (item.start in fiscal_starts and _dated_after(found, index, text))
    ]
    kept: list[Found] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue  # "end of Q3 2026" is one expression, not "Q3" and "2026" as well
        kept.append(item)
    return kept


_DATE_REACH = 25
# A fiscal year's end ("ends on March 31") is refined by the date after it; its start
# ("before our fiscal year starts in July") is the first day of the month named.
_FISCAL_WORDS = re.compile(r"\b(?:fiscal|financial)\b")
_DAY_NUMBER = re.compile(r"(?<![\d.])[0-3]?\d(?![\d.])")
_FISCAL_END_WORDS = re.compile(
    r"^(?!.*\b(?:start|starts|begin|begins|kicks)\b).*(?:fiscal|financial)"
)


def _dated_after(found: list[Found], index: int, text: str | None = None) -> bool:
    """'before our fiscal year ends on March 31', 'this fiscal year (until March end)': the
    date right after a fiscal year's end says which day it is. With `text`, only a date with
    a day counts ('before the new fiscal year starts, 1 April 2027'; in 'starts in July' the
    month names the fiscal year's first day)."""
    item = found[index]
    return any(
        0 <= other.start - item.end <= _DATE_REACH
        and (text is None or _DAY_NUMBER.search(text, other.start, other.end) is not None)
        for other in found[index + 1 : index + 3]
    )


def _day_of_month(match: re.Match[str], year: int, month: int) -> date:
    """The day a modifier means within a month: the end unless it says start, early or mid."""
    groups = match.groupdict()
    if groups.get("start") or groups.get("before"):
        return date(year, month, 1)
    if groups.get("early"):
        return date(year, month, 10)
    if groups.get("mid"):
        return date(year, month, 15)
    return _month_end(year, month)


def _month_dates(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_MONTH_DATE, _MONTH_ANCHOR, text, before=_BEFORE_ANCHOR):
        name = match["month"]
        day = match["day"] or match["day2"]
        year_text = match["year"]
        has_modifier = any(
            match[g] for g in ("end", "start", "early", "mid", "before", "by", "latest")
        )
        if not (has_modifier or day or year_text or bare):
            continue
        unclear = not has_modifier or match["by"] in ("on", "for", "no", "op", "per", "around")
        if name in _AMBIGUOUS_MONTHS and unclear and not (day or year_text or bare):
            continue  # "may we", "for mar": too often a verb, a name or a street
        month = _MONTH_BY_NAME[name]
        year = _year(year_text) if year_text else None
        yield match, _resolve_month(match, calendar, month, year, int(day) if day else None)


def _resolve_month(
    match: re.Match[str], calendar: Calendar, month: int, year: int | None, day: int | None
) -> date | None:
    as_of = calendar.as_of
    if year is None:
        year = as_of.year if _month_end(as_of.year, month) >= as_of else as_of.year + 1
    if day is not None:
        try:
            deadline = date(year, month, day)
        except ValueError:
            return None
        if deadline < as_of and match["year"] is None:
            deadline = deadline.replace(year=year + 1)
        return deadline
    return (
        max(_day_of_month(match, year, month), as_of)
        if year == as_of.year
        else _day_of_month(match, year, month)
    )


def _numeric_dates(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_ISO_DATE, _NUMERIC_ANCHOR, text, before=_BEFORE_ANCHOR):
        try:
            if match["iy"]:
                deadline = date(int(match["iy"]), int(match["im"]), int(match["id"]))
            elif match["ey"]:
                deadline = date(int(match["ey"]), int(match["em"]), int(match["ed"]))
            else:
                deadline = _slashed_date(int(match["sa"]), int(match["sb"]), int(match["sy"]))
                if deadline is None:
                    continue
        except ValueError:
            continue
        yield match, deadline


def _slashed_date(first: int, second: int, year: int) -> date | None:
    """30/06/2027 (day first) or 06/30/2027 (month first), whichever the numbers allow;
    None for 05/06/2027, which reads both ways."""
    if first > 12 >= second:
        return date(year, second, first)
    if second > 12 >= first:
        return date(year, first, second)
    return None


def _year(text: str) -> int:
    return 2000 + int(text[1:]) if text.startswith("'") else int(text)


def _fiscal_year(match: re.Match[str]) -> int | None:
    """The fiscal year named ('FY27', 'Q3 2026'), by the calendar year it ends in."""
    raw = match["fy"] or match["qy"] or (match["fy0"] or "").removeprefix("fy").strip()
    if not raw:
        return None
    raw = raw.lstrip("'")
    return int(raw) if len(raw) == 4 else 2000 + int(raw)


def _period_end(calendar: Calendar, first_month_offset: int, length: int, year: int | None) -> date:
    """The end of the fiscal period starting `first_month_offset` months into a fiscal year:
    the next one that has not ended, or the one in fiscal year `year`."""
    start = calendar.fiscal_start
    if year is not None:
        # fiscal year `year` ends in calendar `year`: it starts 12 months before its end
        fy_start_year = year if start == 1 else year - 1
        end_year, end_month = _shift(fy_start_year, start, first_month_offset + length - 1)
        return _month_end(end_year, end_month)
    as_of = calendar.as_of
    for fy_start_year in (as_of.year - 1, as_of.year, as_of.year + 1):
        end_year, end_month = _shift(fy_start_year, start, first_month_offset + length - 1)
        end = _month_end(end_year, end_month)
        if end >= as_of:
            return end
    return _month_end(*_shift(as_of.year + 1, start, first_month_offset + length - 1))


def _within_period(match: re.Match[str], end: date, length: int) -> date:
    """'start of Q3' is the period's first day, 'mid H2' its middle; otherwise its end."""
    start_year, start_month = _shift(end.year, end.month, -(length - 1))
    if match["over"]:
        return end
    if match["start"] or match["before"]:
        return date(start_year, start_month, 1)
    if match["early"]:
        return _month_end(start_year, start_month)
    if match["mid"]:
        return _month_end(*_shift(start_year, start_month, length // 2 - 1 + length % 2))
    return end


def _next_within_period(match: re.Match[str], calendar: Calendar, end: date, length: int) -> date:
    """`_within_period`, a year later when that day of the current period is already past
    ('by the start of Q2' written in May) and no year was named."""
    deadline = _within_period(match, end, length)
    if deadline < calendar.as_of and not (match["fy"] or match["qy"] or match["fy0"]):
        deadline = _within_period(match, _month_end(end.year + 1, end.month), length)
    return deadline


def _quarters(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_QUARTER, _QUARTER_ANCHOR, text, before=_BEFORE_ANCHOR):
        if _QUESTION_NUMBER.match(text, match.end()) and text[
            text.rfind("\n", 0, match.start()) + 1 : match.start()
        ].strip() in ("", "-", "*"):
            continue  # "Q4 Budget: ..." numbers a form's question
        number = int(
            match["q"]
            or match["q2"]
            or match["qt"]
            or match["qtr"]
            or _ORDINAL[match["qw"] or match["qf"]]
        )
        end = _period_end(calendar, 3 * (number - 1), 3, _fiscal_year(match))
        yield match, _next_within_period(match, calendar, end, 3)


_QUESTION_NUMBER = re.compile(r"[ \t.)]+[a-z][^\n:?]{0,60}[:?]")


def _halves(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_HALF, _HALF_ANCHOR, text, before=_BEFORE_ANCHOR):
        number = int(
            match["h"] or match["h2"] or _ORDINAL[match["hw"] or match["hp"] or match["hf"]]
        )
        year = _fiscal_year(match)
        if year is None and ("next" in match.group() or "próximo" in match.group()):
            year = _period_end(calendar, 0, 12, None).year + 1
        end = _period_end(calendar, 6 * (number - 1), 6, year)
        yield match, _next_within_period(match, calendar, end, 6)


def _period_ends(text: str, calendar: Calendar, bare: bool):
    for match in _QUARTER_END.finditer(text):
        fiscal_offset = (calendar.as_of.month - calendar.fiscal_start) % 12 // 3 * 3
        yield match, _period_end(calendar, fiscal_offset, 3, None)
    for match in _FISCAL_YEAR_END.finditer(text):
        yield match, _period_end(calendar, 0, 12, None)
    for match in _THIS_FISCAL_YEAR.finditer(text):
        yield match, _period_end(calendar, 0, 12, None)
    for match in _YEAR_END.finditer(text):
        yield match, date(calendar.as_of.year, 12, 31)


def _years(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_YEAR_ALONE, _YEAR_ANCHOR, text, before=_BEFORE_ANCHOR):
        year = int(match["year"])
        if match["before"]:
            yield match, date(year, 1, 1)
        elif match["early"]:
            yield match, date(year, 3, 31)
        elif match["mid"]:
            yield match, date(year, 6, 30)
        else:
            yield match, date(year, 12, 31)


def _seasons(text: str, calendar: Calendar, bare: bool):
    as_of = calendar.as_of
    for match in finditer_near(_SEASON, _SEASON_ANCHOR, text, before=_BEFORE_ANCHOR):
        end_month = _SEASONS[match["season"]]
        if match["year"]:
            year = _year(match["year"])
            if end_month == 2:
                year += 1  # winter 2026 ends in February 2027
            yield match, _month_end(year, end_month)
            continue
        which = match["which"]
        end = _month_end(as_of.year, end_month)
        if end < as_of:
            end = _month_end(as_of.year + 1, end_month)
        season_start = _shift(end.year, end.month, -2)
        in_it_now = date(*season_start, 1) <= as_of
        if in_it_now and which in (
            "next",
            "im nächsten",
            "nächsten",
            "próximo",
            "próxima",
            "el próximo",
            "la próxima",
            "volgend",
        ):
            end = _month_end(end.year + 1, end_month)
        if which.startswith("before"):
            end = date(*_shift(end.year, end.month, -2), 1)  # before the spring: by 1 March
        yield match, end


def _weekdays(text: str, calendar: Calendar, bare: bool):
    for match in finditer_near(_WEEKDAY, _WEEKDAY_ANCHOR, text, before=_BEFORE_ANCHOR):
        if match["which"] in ("on", "this", "am", "el", "op", "na") and match["day"] in (
            "mon",
            "wed",
            "sat",
            "sun",
            "segunda",
            "quarta",
            "quinta",
            "sexta",
        ):
            continue  # short or ordinal-like forms need a clearer lead-in
        yield match, calendar.as_of + timedelta(days=14 if match["which"] == "next" else 7)


# "by the 29th of this month", "before the 15th": a day of this month (of the next once it
# has passed).
_ORDINAL_DAY = re.compile(
    r"(?<![\w-])(?:by|before|until|no later than)[ \t]+the[ \t]+(?P<day>[0-3]?\d)(?:st|nd|rd|th)"
    r"(?:[ \t]+of[ \t]+(?P<which>this|next)[ \t]+month)?(?![\w-])(?![ \t]+(?:of[ \t]+)?[a-z]{3})"
)


def _ordinal_days(text: str, calendar: Calendar, bare: bool):
    as_of = calendar.as_of
    for match in _ORDINAL_DAY.finditer(text):
        year, month = as_of.year, as_of.month
        day = int(match["day"])
        if match["which"] == "next" or (match["which"] is None and day <= as_of.day):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if 1 <= day <= _stdlib_calendar.monthrange(year, month)[1]:
            yield match, date(year, month, day)


_DAY_RESOLVERS = (_month_dates, _numeric_dates, _ordinal_days)
# Each resolver with the kind of word its expressions contain; one scan finds which kinds a
# text has, so a lead without a date word costs one regex search.
_RESOLVERS = (
    ({"month"}, _month_dates),
    ({"numeric"}, _numeric_dates),
    ({"quarter"}, _quarters),
    ({"half"}, _halves),
    ({"period", "quarter"}, _period_ends),
    ({"year"}, _years),
    ({"season"}, _seasons),
    ({"weekday"}, _weekdays),
    ({"ordinal_day"}, _ordinal_days),
)
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")  # the same tokens in ASCII text, found faster
_NUMERIC_DATE = re.compile(r"\d[./-][0-3]?\d[./-]\d")


def _english_ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 22nd, 23rd ... 31st."""
    suffix = "th" if 10 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


_WORD_KINDS = {
    **dict.fromkeys(_MONTH_BY_NAME, "month"),
    **dict.fromkeys(_SEASONS, "season"),
    **dict.fromkeys(_WEEKDAYS.split("|"), "weekday"),
    **dict.fromkeys(
        (
            *("q1", "q2", "q3", "q4", "1q", "2q", "3q", "4q", "t1", "t2", "t3", "t4"),
            *("quarter", "quartal", "quartals", "trimestre", "kwartaal"),
        ),
        "quarter",
    ),
    **dict.fromkeys(
        ("h1", "h2", "1h", "2h", "half", "semester", "semestre", "halbjahr", "jahreshälfte"),
        "half",
    ),
    **dict.fromkeys(("helft", "halfjaar"), "half"),
    **dict.fromkeys(
        (
            *("eoq", "eoy", "fye", "fy", "fiscal", "financial", "year", "jahr", "jahres"),
            *("année", "año", "ano", "jaar", "jahresende", "jaareinde", "einde"),
        ),
        "period",
    ),
    **dict.fromkeys((_english_ordinal(day) for day in range(1, 32)), "ordinal_day"),
}
_KIND_WORDS = frozenset(_WORD_KINDS)


def _kinds(text: str) -> set[str]:
    """Which kinds of date words `text` has: one tokenising pass and a set intersection
    with the words (a regex alternation of a hundred words would scan far slower)."""
    tokens = set((_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text))
    kinds = {_WORD_KINDS[token] for token in tokens & _KIND_WORDS}
    for token in tokens if "20" in text or "fy" in text else ():  # '2027', 'fy27'
        if token.startswith(("20", "fy")) and token[2:].isdigit():
            if token[0] == "f":
                kinds.update(("quarter", "half"))
            elif len(token) == 4:
                kinds.add("year")
    if ("-" in text or "." in text or "/" in text) and _NUMERIC_DATE.search(text):
        kinds.add("numeric")
    return kinds
