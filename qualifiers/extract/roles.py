"""Where a lead says what *their own* role is.

The authority criterion maps a role phrase to a choice with the rubric's own hint regexes;
this module only finds the phrases: "I'm the CFO at Globex", a `Title:` line, a signature
after "Best,", a marketer's "she's VP Ops" or "Dana Lee (CFO @ Globex)". Roles of other
people ("my VP asked me to look") are never candidates, and in a forwarded thread the
forwarder's own self-description and signature are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RolePhrase:
    """Text that names the lead's role; `canonical` replaces it for verbs like 'I run'."""

    start: int
    end: int
    phrase_start: int
    phrase_end: int
    priority: int
    canonical: str | None = None


_PHRASE = r"(?P<phrase>[^.,;:!?\n()\[\]]{2,80})"
_ARTICLE = r"(?:(?:the|a|an|one of the|our|their)\s+)?"
_SELF = re.compile(
    r"\b(?:i'?m|i am|i work as|i serve as|i act as|i'?ve been|i have been|"
    r"my (?:role|title|position|job title|job) is|i'?m currently|i currently work as)\s+"
    r"(?:currently\s+|also\s+|just\s+|now\s+|actually\s+)?" + _ARTICLE + _PHRASE,
    re.IGNORECASE,
)
_AS = re.compile(r"\bas (?:the|a|an)\s+" + _PHRASE, re.IGNORECASE)
_THIS_IS = re.compile(
    r"\b(?:this is|it'?s|here'?s)\s+[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?\s*(?:,|-|–|—)\s*"
    + _ARTICLE
    + _PHRASE
    + r"|\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)? here\s*(?:,|-|–|—)\s*"
    + _ARTICLE
    + _PHRASE.replace("phrase", "phrase2"),
)
_THIRD_PERSON = re.compile(
    r"\b(?:she|he|they)(?:'s| is|'re| are| was| works as)\s+(?:currently\s+|now\s+)?"
    + _ARTICLE
    + _PHRASE
    + r"|\b(?:contact|lead|prospect|caller|visitor|sender|inquirer)(?:'s title)? (?:is|was)\s+"
    + _ARTICLE
    + _PHRASE.replace("phrase", "phrase2"),
    re.IGNORECASE,
)
_SPOKE_WITH = re.compile(
    r"\b(?:spoke|talked|met|chatted|call|meeting|demo) (?:with|to)\s+"
    r"(?:[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?\s*,?\s*)?(?:the|their|a|an)\s+" + _PHRASE,
)
_NAME_PAREN = re.compile(
    r"\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2}\s*\((?P<phrase>[^()\n]{2,60})\)"
)
_AT_COMPANY = re.compile(r"(?P<phrase>(?:[\w&/.'-]+ ){0,4}[\w&/.'-]+)\s+@\s*[A-Z0-9]")
_NAME_LINE = re.compile(
    r"^[ \t>*~–—-]*(?P<name>[A-Z][\w'.-]+(?:[ \t]+[A-Z][\w'.-]+){0,3})[ \t]*(?:,|\||-|–|—)[ \t]*"
    r"(?P<phrase>[^\n]{2,80})$",
    re.MULTILINE,
)
_TITLE_LINE = re.compile(
    r"^[ \t>*-]*(?:job title|title|role|position|designation|job role|job)[ \t]*:[ \t]*"
    r"(?P<phrase>[^\n]{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGN_OFF = re.compile(
    r"^[ \t]*(?:best(?: regards| wishes)?|thanks(?: so much| again)?|thank you|many thanks|"
    r"regards|kind regards|warm regards|cheers|sincerely|talk soon|thx|br|yours|respectfully|"
    r"--|—|–)[ \t]*[,!.]?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_VERB_ROLE = re.compile(
    r"\bi (?P<verb>run|own|founded|co-?founded|started|lead|manage|head(?: up)?|oversee)\s+"
    r"(?:the|a|an|our|my|this)\s+(?:[\w&-]+\s+){0,3}?"
    r"(?P<what>company|business|studio|agency|firm|shop|practice|startup|team|department|"
    r"group|function|org|organi[sz]ation|division|unit|office)\b",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^[ \t>]*(?:-{2,}\s*forwarded message|begin forwarded message|fwd?:|from:\s)",
    re.IGNORECASE | re.MULTILINE,
)
_CUT = re.compile(
    r"\s+(?:and|but|who|which|that|so|because|since|while|looking|trying|reaching|writing|"
    r"interested|hoping|excited|curious|wondering|not|working|reporting|on behalf|asked|tasked|"
    r"here|responsible|in charge|to the|for the|to our|with the|with our|currently|"
    r"we|i|my|our|your|his|her|their)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|thanks|thank|team|all|folks|best|regards)$", re.I)
_BUSINESS = ("company", "business", "studio", "agency", "firm", "shop", "practice", "startup")


def find_role_phrases(text: str) -> list[RolePhrase]:
    """Candidate phrases naming the lead's role, best first."""
    forward = _FORWARD.search(text)
    forwarded_from = forward.start() if forward else -1
    found: list[RolePhrase] = []

    def add(match: re.Match[str], priority: int, own_voice: bool, group: str = "phrase") -> None:
        if own_voice and match.start() < forwarded_from:
            return  # the forwarder talking about themselves, not the lead
        start, end = match.span(group)
        cut = _CUT.search(text, start, end)
        end = cut.start() if cut else end
        if end - start >= 2:
            found.append(RolePhrase(match.start(), end, start, end, priority))

    for match in _TITLE_LINE.finditer(text):
        add(match, 6, own_voice=False)
    for match in _SELF.finditer(text):
        add(match, 5, own_voice=True)
    for match in _THIS_IS.finditer(text):
        add(match, 5, own_voice=True, group="phrase" if match["phrase"] else "phrase2")
    for match in _VERB_ROLE.finditer(text):
        if match.start() >= forwarded_from:
            found.append(_verb_role(match))
    for match in _AS.finditer(text):
        add(match, 4, own_voice=True)
    for match in _THIRD_PERSON.finditer(text):
        add(match, 4, own_voice=False, group="phrase" if match["phrase"] else "phrase2")
    for match in _NAME_PAREN.finditer(text):
        add(match, 3, own_voice=False)
    for match in _AT_COMPANY.finditer(text):
        add(match, 3, own_voice=False)
    for match in _SPOKE_WITH.finditer(text):
        add(match, 3, own_voice=False)
    for match in _NAME_LINE.finditer(text):
        if not _GREETING.match(match["name"].split()[0]):
            add(match, 3, own_voice=True)
    found.extend(_signature_lines(text, forwarded_from))
    found.sort(key=lambda role: (-role.priority, role.start))
    return found


def _verb_role(match: re.Match[str]) -> RolePhrase:
    verb = match["verb"].lower()
    what = match["what"].lower()
    if verb in ("founded", "cofounded", "co-founded", "started"):
        canonical = "founder"
    elif what in _BUSINESS and verb in ("run", "own", "lead", "manage", "head", "head up"):
        canonical = "owner"
    elif verb.startswith("head"):
        canonical = "head of"
    elif verb == "oversee":
        canonical = "director"
    else:
        canonical = "manager"
    return RolePhrase(match.start(), match.end(), match.start(), match.end(), 4, canonical)


def _signature_lines(text: str, forwarded_from: int) -> list[RolePhrase]:
    """The short lines right after a sign-off ('Best,', 'Thanks,', '--')."""
    lines: list[RolePhrase] = []
    for sign_off in _SIGN_OFF.finditer(text):
        if sign_off.start() < forwarded_from:
            continue
        position = sign_off.end() + 1
        for _ in range(4):
            if position >= len(text):
                break
            line_end = text.find("\n", position)
            line_end = len(text) if line_end == -1 else line_end
            line = text[position:line_end]
            if line.strip() and len(line.split()) <= 12:
                lines.append(RolePhrase(position, line_end, position, line_end, 2))
            position = line_end + 1
    return lines


_SOMEONE_ELSES = re.compile(
    r"\b(?:my|our|your|his|her|their|the company'?s|whose|to|for|with|from|by)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


def is_someone_elses(text: str, title_start: int, phrase_start: int) -> bool:
    """True for 'my VP' / 'reporting to the CTO': the title belongs to someone else."""
    return bool(_SOMEONE_ELSES.search(text, max(phrase_start, title_start - 30), title_start))
