"""Company headcount: '1,400 employees', 'team of 35', '5000+', '201-500', 'a 3-person studio'.

Company-wide statements (employees, staff, a 40-person firm) beat team-level ones (a team of
12, 8 engineers), which a lead may use about one department. A range gives its smallest end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualifiers.extract.numbers import (
    DIGITS,
    WORD_NUMBER,
    parse_field_number,
    scaled,
    to_count,
    word_number,
)
from qualifiers.extract.patterns import WordPattern, finditer_near
from qualifiers.extract.text import Found

_QTY = rf"(?:(?P<num>{DIGITS})\s?(?P<mult>k|K)?|(?P<word>{WORD_NUMBER})\b)"
_QTY2 = rf"(?:(?P<num2>{DIGITS})\s?(?P<mult2>k|K)?|(?P<word2>{WORD_NUMBER})\b)"
_RANGE = rf"{_QTY}(?:\s*(?:-|–|—|to)\s*{_QTY2})?(?P<plus>\s?\+)?"
_APPROX = (
    r"(?P<mod>about|around|roughly|approximately|approx\.?|~|nearly|almost|over|more than|"
    r"under|less than|fewer than|just over|just under|close to|some|north of|upwards of|"
    r"ca\.?|circa|etwa|rund|ungef[äa]hr|environ|presque|plus de|unos|unas|cerca de|m[áa]s de|"
    r"aproximadamente|umas|uns|mais de|ongeveer|bijna|ruim)?\s*"
)
# Employees in the languages leads often write in besides English.
_FOREIGN_EMPLOYEES = (
    r"colaboradores|empleados|funcion(?:a|á)rios|mitarbeite(?:rn|r|rinnen|nden|nde)|salariés|"
    r"employés|dipendenti|medewerkers|werknemers|besch(?:ä|ae)ftigten?|angestellten?|collaborateurs|"
    r"trabajadores|trabalhadores|empregados"
)
# "somos 25 personas", "on est 15 personnes": people in those languages, read like "people".
_FOREIGN_PEOPLE = r"personas|pessoas|personnes|mensen|personen|leute|persone"
_COMPANY_NOUN = (
    r"(?:employees|employee|staff(?:ers)?|ftes?|full[- ]time(?: employees| staff)?|workers|"
    r"headcount|team members|colleagues|people on (?:staff|payroll)|ppl|emps?\b\.?|ees?\b)"
)
_ORG = (
    r"(?:company|team|firm|studio|agency|startup|start-up|business|organi[sz]ation|org|shop|"
    r"practice|clinic|office|consultancy|group|operation|outfit|nonprofit|non-profit|bakery|"
    r"restaurant|store|brand|school|hospital|lab|manufacturer|retailer|distributor|"
    r"(?:[\w-]+ ){0,2}(?:company|co|firm|business|agency|startup|studio|shop|team))"
)
_ADJ = r"(?:[\w-]+ ){0,2}?"
_SIZE_BUCKET = (
    r"(?P<num>1|2|11|51|201|501|1,?001|5,?001|10,?001)(?P<mult>)(?P<word>)-"
    r"(?P<num2>10|50|200|500|1,?000|5,?000|10,?000)(?P<mult2>)(?P<word2>)(?P<plus>)"
)
_JOB_FAMILIES = (
    r"(?:engineers|developers|agents|reps|salespeople|nurses|drivers|technicians|consultants|"
    r"designers|accountants|lawyers|attorneys|analysts)"
)


# Every headcount has a number before its noun: a digit or a number word ("a" does not count).
_NUMBERISH = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|few|several|couple)\b"
)


@dataclass(frozen=True)
class Rule:
    """A headcount pattern; `anchor` (a word every match contains) lets the pattern run only
    near that word, since a pattern that may start with any number-ish word is slow to scan."""

    pattern: re.Pattern[str] | WordPattern
    strength: int  # 3 = the whole company, 2 = a team or a bare "people", 1 = job-family counts
    anchor: WordPattern | None = None

    def finditer(self, text: str):
        if self.anchor is None:
            return self.pattern.finditer(text)
        return finditer_near(self.pattern, self.anchor, text, before=45, requires=_NUMBERISH)


_RULES = [
    Rule(
        WordPattern(
            r"\b(?:company|team|org(?:ani[sz]ation)?|firm) size\s*(?:is|of|:|=|-)?\s*"
            rf"{_APPROX}{_RANGE}"
        ),
        3,
    ),
    Rule(WordPattern(rf"\bheadcount\s*(?:is|of|:|=|-)?\s*{_APPROX}{_RANGE}"), 3),
    Rule(WordPattern(rf"\bhc\s*(?:is|of|:|=|-)?\s*{_APPROX}{_RANGE}"), 3),
    Rule(
        re.compile(rf"\b{_APPROX}{_RANGE}\s*{_ADJ}{_COMPANY_NOUN}\b"),
        3,
        WordPattern(
            r"\b(?:employees?|staff(?:ers)?|ftes?|full[- ]time|workers|headcount|team members|"
            r"colleagues|people|ppl|emps?|ees?)\b"
        ),
    ),
    Rule(
        re.compile(rf"\b{_APPROX}{_RANGE}\s*{_ADJ}(?:{_FOREIGN_EMPLOYEES})\b"),
        3,
        WordPattern(rf"\b(?:{_FOREIGN_EMPLOYEES})\b"),
    ),
    # "a 40-person firm" is the company; "a 10-person team" (below) may be one department.
    Rule(
        re.compile(
            rf"\b{_APPROX}{_RANGE}-(?:person|people|member|employee|man|woman|strong)\b"
            r"(?P<team>(?: [\w-]+){0,2} team\b)?"
        ),
        3,
        WordPattern(r"\b(?:person|people|member|employee|man|woman|strong)\b"),
    ),
    Rule(
        re.compile(
            rf"\b{_APPROX}{_RANGE} (?:person|people|member|employee|man|woman|strong)"
            rf"\s+{_ADJ}{_ORG}\b"
        ),
        3,
        WordPattern(r"\b(?:person|people|member|employee|man|woman|strong)\b"),
    ),
    # "there are 12 of us"; not "(it) takes three of us 3 days": who does a task
    Rule(
        re.compile(
            rf"(?<!\btake )(?<!\btakes )(?<!\btook )(?<!\bkeeps )(?<!\bneeds )\b{_APPROX}"
            rf"{_RANGE} of us\b"
        ),
        3,
        WordPattern(r"\bof us\b"),
    ),
    Rule(WordPattern(rf"\bemploy(?:s|ing)?\s+{_APPROX}{_RANGE}(?:\s+people)?\b"), 3),
    Rule(
        WordPattern(
            rf"\b(?:company|firm|business|organi[sz]ation|startup|agency|studio|shop) of "
            rf"{_APPROX}{_RANGE}\b(?!\s*(?:customers|clients|users|locations|stores|offices))"
        ),
        3,
    ),
    Rule(
        WordPattern(
            rf"\b(?:we(?:'re| are)|we have|there are|we're now|we've got)\s+{_APPROX}{_RANGE}"
            r"\s+(?:people|persons?|of us|strong|folks|staff|guys)\b"
        ),
        3,
    ),
    Rule(WordPattern(rf"\bteam of {_APPROX}{_RANGE}\b"), 2),
    Rule(WordPattern(rf"\bwe(?:'re| are)\s+{_APPROX}{_RANGE}\s*(?=[).,;]|$)", re.M), 2),
    Rule(
        re.compile(
            rf"\b{_APPROX}{_RANGE}\s+(?:people|persons?)\b(?!\s+(?:use|using|visit|who|per|"
            r"attend|sign|in (?:my|our) (?:team|department))\b)"
        ),
        2,
        WordPattern(r"\b(?:people|persons?)\b"),
    ),
    Rule(
        re.compile(rf"\b{_APPROX}{_RANGE}\s+(?:{_FOREIGN_PEOPLE})\b"),
        2,
        WordPattern(rf"\b(?:{_FOREIGN_PEOPLE})\b"),
    ),
    # A company-size bucket as LinkedIn or G2 show it: "(51-200 on G2 profile)".
    Rule(WordPattern(rf"\b{_SIZE_BUCKET}\b(?![-\d%])(?P<mod>)"), 1),
    Rule(
        re.compile(rf"\b{_APPROX}{_RANGE}\s+{_JOB_FAMILIES}\b"),
        1,
        WordPattern(rf"\b{_JOB_FAMILIES}\b"),
    ),
]
_SOLO = WordPattern(
    r"\b(?:just me|only me|one[- ](?:man|woman|person) (?:show|band|business|shop|company)|"
    r"solo (?:founder|consultant|practitioner|operator|entrepreneur)|sole (?:proprietor|trader)|"
    r"(?:i'?m|i am) (?:a )?(?:freelancer|self[- ]employed|solopreneur))\b",
)
# Counts that are not the company's size: hiring plans, customers' staff, growth targets.
_NOT_HEADCOUNT_BEFORE = re.compile(
    r"(?:\bhir(?:e|ing)|\brecruit(?:ing)?|\badd(?:ing)?|\bonboard(?:ing)?|\bgrow(?:ing)? (?:to|by)|"
    r"\bscale (?:to|up to)|\bplan(?:ning)? to|\bwill be|\bclients? (?:with|of)|"
    r"\bcustomers? (?:with|of)|"
    r"\bserv(?:e|ing|es)|\blay(?:ing)? off|\blaid off|\bcut|\bfortune|\bforbes|"
    r"\b(?:unit|department|dept|ward|division)(?: alone)? (?:has|have|had|is|of))"
    r"(?:\W+\w+){0,2}\W*$",
)
# "Fortune 500", "Inc. 5000": rankings, not headcounts.
_RANKING = re.compile(r"\b(?:fortune|forbes|global|inc\.?|ftse|s&p|russell)\s*\d")
_LESS = ("under", "less than", "fewer than", "just under", "nearly", "almost")


def find_headcount(text: str) -> Found | None:
    """The strongest, earliest headcount statement; ranges and '5000+' give their low end."""
    best: tuple[int, int, Found] | None = None
    for rule in _RULES:
        if best and rule.strength < best[0]:
            break
        for match in rule.finditer(text):
            # "a 10-person team" may be one department: a team-level statement
            strength = rule.strength - 1 if match.groupdict().get("team") else rule.strength
            value = _value(match)
            if value is None or value <= 0:
                continue
            if _NOT_HEADCOUNT_BEFORE.search(text, max(0, match.start() - 40), match.start()):
                continue
            if best is None or (strength, -match.start()) > (best[0], -best[1]):
                best = (strength, match.start(), Found(value, match.start(), match.end(), 0.8))
            break
    if best:
        return best[2]
    solo = _SOLO.search(text)
    return Found(1, solo.start(), solo.end(), 0.7) if solo else None


def _value(match: re.Match[str]) -> float | None:
    if match["num"] and not match["mult"]:
        low = to_count(match["num"])
    else:
        low = scaled(match["num"], match["mult"]) if match["num"] else word_number(match["word"])
    if low is None:
        return None
    if match["mult2"] and not match["mult"] and low < 1000:
        low *= 1000
    modifier = (match["mod"] or "").casefold()
    if modifier in _LESS and not match["num2"] and not match["word2"]:
        return max(low - 1, 1)
    return low


_FIELD_SOLO = re.compile(r"^\s*(?:just me|only me|me|solo|self[- ]employed|freelancer?)\s*$")
_FIELD_LESS = re.compile(r"^\s*(?:<|under|less than|fewer than|below)\s*")


def parse_headcount(value: str) -> float | None:
    """A form value: '201-500' -> 201, '5000+' -> 5000, '1,200' -> 1200, '<10' -> 9."""
    value = value.lower()
    if _FIELD_SOLO.match(value):
        return 1
    if _RANKING.search(value):
        return None
    number = parse_field_number(value, whole=True)
    if number is not None and _FIELD_LESS.match(value):
        return max(number - 1, 1)
    return number
