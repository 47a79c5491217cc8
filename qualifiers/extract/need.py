"""A stated need: a concrete problem or use case (yes) versus vague interest (no).

"We need to cut invoice processing time", "struggling with churn", "looking to replace our
legacy CRM", "use case: ..." are concrete. "Send me some info", "just curious" are vague.
Nothing either way leaves the criterion missing.
"""

from __future__ import annotations

import re

from qualifiers.extract.text import Found

_GOAL_VERBS = (
    r"(?:replace|automate|reduce|cut|consolidate|migrate|streamline|improve|speed up|fix|"
    r"eliminate|get rid of|move (?:off|away from)|switch|scale|centrali[sz]e|track|manage|"
    r"integrate|standardi[sz]e|modernize|modernise|digiti[sz]e|upgrade|lower|increase|boost|"
    r"unify|simplify|sync|monitor|handle|deal with|stop|prevent|avoid|comply|meet|free up|"
    r"roll out|onboard|retire|sunset|cope with|get visibility|forecast|route|qualify|"
    r"shorten|accelerate)"
)
_CONCRETE = re.compile(
    r"\bwe(?:'d| would)? (?:really |urgently |badly |desperately )?need(?:s)? (?:to|a|an|help|"
    r"something|better|a better|one place|visibility|more)\b"
    r"|\b(?:i|we|they|team) (?:really |urgently )?needs? (?:a|an|to) \w+"
    r"|\bneed(?:s|ed)? (?:a|an) (?:[\w-]+ ){0,3}(?:tool|way|solution|system|platform|"
    r"replacement|software|process|partner|vendor|app|crm|integration)\b"
    r"|\bstruggl(?:e|es|ing|ed) (?:with|to)\b|\bpain ?points?\b|\bheadaches?\b"
    r"|\b(?:looking|want|wanting|hoping|trying|need|needing|plan|planning|aim|aiming|"
    r"have|goal is|objective is|mandate is|tasked with|asked to)(?: to)? " + _GOAL_VERBS + r"\b"
    r"|\buse[- ]cases?\b"
    r"|\b(?:spend(?:ing|s)?|wast(?:e|es|ing)|los(?:e|es|ing)|burn(?:ing)?) (?:\w+ ){0,3}"
    r"(?:hours|days|weeks|time|money|deals|customers|leads)\b"
    r"|\btakes? (?:us |our team |them )?(?:\w+ ){0,2}(?:hours|days|weeks)\b"
    r"|\bmanual(?:ly)? (?:process|processes|work|entry|data|reconcil\w*|reporting|steps|"
    r"tracking|copy|spreadsheets?)\b|\b(?:doing|done|do) (?:\w+ ){0,3}manually\b"
    r"|\b(?:outgrown|can'?t scale|doesn'?t scale|not scaling|bottlenecks?|keeps? (?:crashing|"
    r"breaking|failing|going down)|falling through the cracks|error[- ]prone|out of control|"
    r"can'?t keep up|too slow|too expensive|no visibility|lack of visibility)\b"
    r"|\b(?:the|our|main|biggest|key|core) (?:problem|issue|challenge|goal|priority)s? (?:is|are|"
    r"with|has been)\b"
    r"|\b(?:replac(?:e|ing)|migrat(?:e|ing)|switch(?:ing)?|mov(?:e|ing) away) (?:from |off )?"
    r"(?:our |the |an? )?(?:current|existing|legacy|old|outdated|home-?grown|in-?house)\b"
    r"|\bour (?:current|existing|legacy|old) (?:[\w-]+ ){0,3}(?:is|are|can'?t|cannot|doesn'?t|"
    r"don'?t|keeps?|won'?t|has|lacks)\b"
    r"|\b(?:frustrat\w+|fed up|tired of|sick of)\b"
    r"|\bso (?:that )?(?:we|our team|they) can\b|\bin order to\b|\bhelp us (?:\w+ )?"
    + _GOAL_VERBS
    + r"\b|\b(?:errors|mistakes|delays|backlogs?|churn|downtime|chargebacks|fraud|"
    r"compliance (?:gaps|issues|requirements)|audit findings) (?:in|with|are|is|keep|have|has|"
    r"cost)\b",
    re.IGNORECASE,
)
_VAGUE = re.compile(
    r"\bsend (?:me |us |over )?(?:some |more |any |a )?(?:info|information|details|brochure|"
    r"pricing|prices|price list|deck|materials?|literature|overview)\b"
    r"|\bjust (?:curious|browsing|looking|checking|wondering|exploring|researching)\b"
    r"|\b(?:more|some|general) info(?:rmation)?\b"
    r"|\bwhat (?:do you|does your \w+) (?:do|offer|sell)\b"
    r"|\bcurious (?:about|what|how)\b|\btell me more\b|\bno specific (?:need|use case|project)\b"
    r"|\bnothing specific\b|\bnot sure (?:what|if) we need\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:don'?t|do not|doesn'?t|no|not|never|won'?t)\s+(?:\w+\s+)?$", re.I)


def find_need(text: str) -> Found | None:
    """yes with the first concrete problem/use case, else no with the vague ask, else None."""
    for match in _CONCRETE.finditer(text):
        if not _NEGATED.search(text, max(0, match.start() - 20), match.start()):
            return Found(True, match.start(), _extend_to_clause(text, match.end()), 0.75)
    vague = _VAGUE.search(text)
    return Found(False, vague.start(), vague.end(), 0.6) if vague else None


_CLAUSE_END = re.compile(r"[.!?;\n]")


def _extend_to_clause(text: str, end: int) -> int:
    """Evidence reads better as 'we need to cut invoice time' than 'we need to'."""
    match = _CLAUSE_END.search(text, end, end + 80)
    return match.start() if match else min(len(text), end + 60)
