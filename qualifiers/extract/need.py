"""A stated need: a concrete problem or use case (yes) versus vague interest (no).

"We need to cut invoice processing time", "struggling with churn", "looking to replace our
legacy CRM", "use case: ..." are concrete. "Send me some info", "just curious" are vague.
Nothing either way leaves the criterion missing.
"""

from __future__ import annotations

import re

from qualifiers.extract.patterns import WordPattern, word_patterns
from qualifiers.extract.text import Found

_GOAL_VERBS = (
    r"(?:replace|automate|reduce|cut|consolidate|migrate|streamline|improve|speed up|fix|"
    r"eliminate|get rid of|move (?:off|away from)|switch|centrali[sz]e|track|manage|"
    r"integrate|standardi[sz]e|moderni[sz]e|digiti[sz]e|automati[sz]e|upgrade|lower|"
    r"unify|simplify|sync|monitor|stop|prevent|avoid|comply|free up|retire|sunset|cope with|"
    r"get visibility|forecast|route|shorten|accelerate|enforce|connect|tie)"
)
_PROCESS_WORDS = r"(?:workflow|flow|process|system|tool|platform|place|solution|way|app|portal)"
# Concrete signals: a goal aimed at a process, a broken/manual process, a cost of the problem.
_CONCRETE_SOURCE = (
    # goals
    r"\b(?:we|i|they|team|she|he)(?:'d| would)? (?:really |urgently |badly |desperately )?"
    r"(?:need|must|have to)\b(?! (?:more )?(?:info|information|details|pricing|prices|a quote|"
    r"a demo|a call|a brochure|a proposal|to (?:know|see|learn|understand|talk|chat|speak)))"
    r"|\bneeds? (?:a |an )?better\b"
    r"|\b(?:looking|want|wanting|hoping|trying|need|needing|plan|planning|aim|aiming|"
    r"goal is|objective is|mandate is|tasked with|asked to|options for|way to|help(?: us)?|"
    r"look for solution to|look(?:ing)? for (?:a )?(?:solution|tool|system|way) to)"
    r"(?: to)? " + _GOAL_VERBS + r"\b"
    r"|\b(?:automating|consolidating|replacing|migrating|streamlining|digiti[sz]ing) (?:our|the|"
    r"all|a|\w+(?:-\w+)? approvals)\b"
    r"|\b(?:want|need|looking for) (?:a |an |one )?(?:single |better |proper |central )?"
    r"(?:[\w-]+ ){0,2}" + _PROCESS_WORDS + r"\b"
    r"|\bfind (?:a |an )?(?:tool|solution|system|something|platform|way) (?:for|to) \w+ing\b"
    r"|\b(?:pain|problem|challenge|issue)s?\s*:"
    r"(?!\s*(?:n/?a|none|unknown|tbd|-|–|not (?:stated|given)))"
    # what is broken or manual today
    r"|\bstruggl(?:e|es|ing|ed) (?:with|to)\b|\bpain ?points?\b|\bheadaches?\b"
    r"|\bby hand\b|\bmanual(?:ly)?\b|\bon paper\b|\bpaper (?:forms?|stamps?|based|trail)\b"
    r"|\b(?:in|on|through|via) (?:a |an |our |shared )?(?:spreadsheets?|excel|google sheets?|"
    r"whiteboard|slack dms|email threads?)\b|\b(?:spreadsheets|excel planning|whiteboard)\b"
    r"|\b(?:over|via|by|through) (?:e-?mail|email|phone calls?|dms)\b|\bemailed back and forth\b"
    r"|\bphone calls\b|\bwet signatures?\b|\bre-?key(?:ing|ed)?\b|\bcopy(?:ing)? (?:\w+ )?over\b"
    r"|\bcopy-?past\w*|\bpdfs and email\b"
    r"|\b(?:is|are|it's|'s) (?:a )?(?:mess|chaos|nightmare|killing us|painful|broken|slow|"
    r"error[- ]prone|breaking|a bottleneck|out of control)\b|\bkilling us\b|\bchaos\b"
    r"|\b(?:breaks|breaking|broken|outages?|bottlenecks?|stuck|stall|stalls|slip|slips|"
    r"disput\w+|bounce|bounces)\b|\bfalling through (?:the )?cracks\b"
    r"|\b(?:go|goes|going|get|gets|getting) (?:cold|lost|missed|dropped|forgotten)\b"
    r"|\b(?:we|they|i) (?:forget|lose|lost|miss|missed|waste|keep missing)\b"
    r"|\b(?:we'?ve|we have|they'?ve) (?:missed|lost|had)\b|\blosing (?:\w+ ){0,2}(?:jobs|"
    r"deals|customers|orders|accounts|clients|money|revenue|time)\b"
    r"|\b(?:many|lots of|too many|constant|frequent) (?:errors|mistakes)\b"
    r"|\btakes? (?:us |them |our team |about |roughly |around |most of |up to )*(?:a |an |\w+ )?"
    r"(?:hours?|days?|weeks?|wks|months?)\b|\bwait(?:s|ing)? (?:\w+ )?(?:days|weeks)\b"
    r"|\btoo (?:slow|long|many|manual|expensive)\b|\bnobody updates\b|\bwe can'?t (?:keep up|"
    r"scale|see|track)\b|\b(?:doesn'?t|don'?t|can'?t|won'?t) scale\b|\bas we scale\b"
    r"|\b(?:complain\w*|chas(?:e|es|ed|ing)|delay(?:s|ed|ing)?|pil(?:e|es|ing) up|nobody knows|"
    r"no one knows|auditors?)\b|\bsits? (?:\w+ ){0,3}for (?:days|weeks)\b"
    r"|\bin (?:e-?mail|outlook|slack|dms|a shared inbox|shared inboxes|email threads)\b"
    r"|\bpass(?:es)? through (?:\w+ ){0,2}(?:teams|people|approvers|departments|hands|steps)\b"
    r"|\bwait(?:s|ing)? (?:\w+ ){0,3}(?:days|weeks|months)\b"
    r"|\b(?:search|searching|look|looking) (?:for )?(?:a |an )?(?:tool|solution|system|software|"
    r"platform) (?:for|to)\b"
    r"|\b(?:spend(?:ing|s)?|wast(?:e|es|ing)|los(?:e|es|ing)) (?:\w+ ){0,3}"
    r"(?:hours|days|weeks|time|money)\b"
)
# The current process on paper or in chat apps, and what goes wrong because of it.
_MORE_CONCRETE_SOURCE = (
    r"\b(?:all|still) (?:on )?paper\b|\bpaper (?:notebooks?|binders?|ledgers?|logs?|files?)\b"
    r"|\b(?:it is|it's) (?:all )?(?:whatsapp|paper|e-?mail|excel)\b|\bfax(?:es|ed)\b"
    r"|\b(?:by|via) fax\b"
    r"|\b(?:whatsapp|wechat) (?:groups?|chats?|messages|threads)\b|\bsticky notes\b"
    r"|\b(?:email|slack|whatsapp|spreadsheet|excel) (?:hell|ping[- ]pong|chaos|mess|"
    r"tennis|chains?)\b|\bping[- ]pong\b|\blong (?:e-?mail|email) threads\b"
    r"|\bout of (?:e-?mail|excel|spreadsheets?|paper|slack|whatsapp|inboxes)\b"
    r"|\bfailed (?:\w+ ){0,4}(?:audit|inspection)\b|\baudit (?:findings?|items?|issues?)\b"
    r"|\b(?:payroll|invoices?|payments?|orders?|shipments?|deliveries|reports?|projects?|close|"
    r"markdowns|releases) (?:\w+ )?(?:run|runs|ran|go|goes|went|are|is|was|were|get|gets|got) "
    r"(?:\w+ )?late\b"
    r"|\b(?:nobody|no one) (?:signs?|checks?|approves?|reviews?|owns?|updates?)\b"
    r"|\b(?:falling|falls|fell) (?:over|apart)\b|\boutdated (?:versions?|files?|copies|data)\b"
    r"|\b(?:shipped|sent|paid|signed|approved|printed|reprinted|delivered|ordered|published|ran) "
    r"(?:[\w'-]+ ){0,6}?(?:the|a) wrong\b(?! (?:person|team|department|address|inbox|e-?mail|"
    r"place|channel|contact|form|queue)\b)|\bthe wrong (?:\w+ ){1,2}(?:got|was|were|went)\b"
    r"|\b(?:different|separate|too many|disconnected) (?:[\w-]+ )?(?:tools|systems|apps|"
    r"inboxes|spreadsheets)\b"
    r"|\b(?:wants|needs) (?:a |an |one )?(?:single |better |proper |central )?(?:[\w-]+ ){0,2}"
    + _PROCESS_WORDS
    + r"\b|\b(?:by|over|via|through) (?:phone|text|texts|text messages?|whatsapp|fax|sms)\b"
    r"|\b(?:went|got|are|is|was|were) (?:lost|missed|missing|forgotten|misplaced)\b"
    r"|\b(?:go|goes|going|get|gets) (?:missing|misplaced)\b"
    r"|\bwait(?:s|ed|ing)? (?:up to |about |over )?(?:a|an|one|two|three|several) "
    r"(?:day|week|month)s?\b"
)
_CONCRETE = WordPattern(_CONCRETE_SOURCE)
# Rarer signals, tried only when the common ones find nothing: small keyword-led groups that
# scan fast and are mostly skipped by their literal pre-check.
_MORE_CONCRETE = word_patterns(_MORE_CONCRETE_SOURCE, per_pattern=8)
# An imperative answer in a form or table cell: "Use case: Automate vendor invoice approvals".
# Spaces after a separator stop at a newline (which is a separator itself): `\s*` would rescan
# every following blank line from every newline.
_IMPERATIVE = re.compile(
    r"(?:^|[:|,;.\n])[^\S\n]*(?P<verb>"
    + _GOAL_VERBS
    + r") (?:[\w-]+ ){0,3}(?:[\w-]+s|workflows?|process)\b"
)
_VAGUE = WordPattern(
    r"\bsend (?:me |us |over )?(?:some |more |any |a |your )?(?:info|information|details|"
    r"brochure|pricing|prices|price list|deck|materials?|literature|overview)\b"
    r"|\bjust (?:curious|browsing|looking|checking|wondering|exploring|researching|grabbing)\b"
    r"|\b(?:more|some|general) info(?:rmation)?\b|\blearn more\b|\bkick (?:the )?tires\b"
    r"|\bwhat (?:do you|does your \w+|does it) (?:do|offer|sell|cost)\b|\binterested in a demo\b"
    r"|\bcurious (?:about|what|how)\b|\btell me more\b|\bno (?:specific )?(?:need|pain|use case|"
    r"project|problem|issue|challenge)\b|\bnothing specific\b|\bnot sure (?:what|if) we need\b"
    r"|\bnot in market\b"
    r"|\bcurious\b|\bexploring options\b|\bcollect info\b",
)
# Asking to see the product is interest, not a problem: "want to see how the integration works".
_DEMO_ASK = WordPattern(
    r"\bbook (?:a |the )?demo\b|\bschedule (?:a |the )?demo\b|\bsee (?:a |the )?demo\b"
    r"|\bget (?:a |the )?demo\b|\bwant (?:a |the )?demo\b|\bsee how (?:the |your |it )"
)
# Chat style drops the subject: "need an approval layer for prod access".
_NEED_FIRST = re.compile(r"(?:^|[.,;:!?-])[ \t]*need (?:a|an|to|some|one)\b", re.MULTILINE)
# A form's problem or use-case question, answered with more than a word or two.
USE_CASE_KEY = re.compile(
    r"use case|problem|challenge|pain|solve|need|goal|hoping|describe|looking for|requirement|"
    r"achieve|not working|help (?:you )?with|what brings you|fix|improve"
)
_NOT_A_USE_CASE = re.compile(
    r"\s*(?:comparing|research|class|school|homework|thesis|curious|just|n/?a|none|tbd|"
    r"not sure|testing|trying it|-)\b"
)
# "What brings you here? -> hi do you integrate with salesforce": a question for us, no problem.
_ASKS_US = re.compile(r"\b(?:do|does|can|could|will) (?:you|your \w+)\b")
_FIRST_PERSON = re.compile(r"\b(?:we|we'\w+|our|us|i|i'\w+|my|me)\b")
# "reach me by phone" is how to answer, not how work gets done.
_CONTACT_ME = re.compile(r"\b(?:me|us|reach|contact|call|text)\s+$")
_NEGATED = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|no|not|never|won'?t|nothing|nobody|no one)\s+(?:\w+\s+)?$"
)


def find_need(text: str) -> Found | None:
    """yes with the first concrete problem/use case, else no with the vague ask, else None."""
    for match in _CONCRETE.finditer(text):
        if not _NEGATED.search(text, max(0, match.start() - 20), match.start()):
            return Found(True, match.start(), _extend_to_clause(text, match.end()), 0.75)
    for pattern in _MORE_CONCRETE:
        for match in pattern.finditer(text):
            before = max(0, match.start() - 20)
            if not _NEGATED.search(text, before, match.start()) and not _CONTACT_ME.search(
                text, before, match.start()
            ):
                return Found(True, match.start(), _extend_to_clause(text, match.end()), 0.7)
    imperative = _IMPERATIVE.search(text)
    if imperative:
        start = imperative.start("verb")
        return Found(True, start, _extend_to_clause(text, imperative.end()), 0.7)
    chat = _NEED_FIRST.search(text)
    if chat:
        start = text.index("need", chat.start())
        return Found(True, start, _extend_to_clause(text, chat.end()), 0.7)
    vague = _VAGUE.search(text)
    return Found(False, vague.start(), vague.end(), 0.6) if vague else None


def is_stated_use_case(key: str, value: str) -> bool:
    """A form answer like 'Use case: Asset disposal approvals across 20 sites'."""
    value = value.lower()
    return (
        USE_CASE_KEY.search(key.lower()) is not None
        and len(value.split()) >= 3
        and not _NOT_A_USE_CASE.match(value)
        and _VAGUE.search(value) is None
        and _DEMO_ASK.search(value) is None
        and not (_ASKS_US.search(value) and not _FIRST_PERSON.search(value))
    )


_CLAUSE_END = re.compile(r"[.!?;\n]")


def _extend_to_clause(text: str, end: int) -> int:
    """Evidence reads better as 'we need to cut invoice time' than 'we need to'."""
    match = _CLAUSE_END.search(text, end, end + 80)
    return match.start() if match else min(len(text), end + 60)
