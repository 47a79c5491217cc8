"""Where a lead says what *their own* role is.

The authority criterion maps a role phrase to a choice with the rubric's own hint regexes;
this module only finds the phrases: "I'm the CFO at Globex", a `Title:` line, a signature
after "Best,", a marketer's "she's VP Ops" or "Dana Lee (CFO @ Globex)". Roles of other
people ("my VP asked me to look") are never candidates, and in a forwarded thread the
forwarder's own self-description and signature are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from qualifiers.extract.patterns import WordPattern
from qualifiers.extract.text import OUR_SPEAKER_LABEL


@dataclass(slots=True)  # not frozen: made for every candidate phrase (see text.Found)
class RolePhrase:
    """Text that names the lead's role; `canonical` replaces it for verbs like 'I run'."""

    start: int
    end: int
    phrase_start: int
    phrase_end: int
    priority: int
    canonical: str | None = None
    own_voice: bool = False


_PHRASE = r"(?P<phrase>[^.,;:!?\n\[\]]{2,80})"
_ARTICLE = r"(?:(?:the|a|an|one of the|our|their)\s+)?"
_SELF = WordPattern(
    r"\b(?:i'?m|i am|i work as|i serve as|i act as|i'?ve been|i have been|soy|sou|je suis|ich bin|"
    r"my (?:role|title|position|job title|job)\s+is|i'?m currently|i currently work as|ik ben|"
    r"ik werk als|ich arbeite als|i do the|je travaille comme|trabajo como|trabalho como|"
    r"mi (?:cargo|puesto) es|meu cargo é|mon poste est)\s+"
    r"(?:currently\s+|also\s+|just\s+|now\s+|actually\s+)?" + _ARTICLE + _PHRASE,
)
_AS = WordPattern(
    r"\b(?:as|en tant que|como|als) (?:(?:the|a|an|le|la|el|o|a|de|der|die)\s+)?" + _PHRASE
)
_THIS_IS = WordPattern(
    r"\b(?:this is|it'?s|here'?s|myself|Myself|I am|I'm|i'm)\s+"
    r"[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?\s*(?:,|-|–|—)\s*" + _ARTICLE + _PHRASE
)
_NAME_HERE = WordPattern(
    r"\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)? here\s*(?:,|-|–|—)\s*" + _ARTICLE + _PHRASE
)
# "This is Fernanda, finance manager at Lumi", "Aqui é a Fernanda, gerente financeira da Lumi"
_THIS_IS_NAME = WordPattern(
    r"\b(?:[Tt]his is|[Ii]t'?s|[Aa]qui (?:é|e)|[Aa]quí (?:es|está)|[Ii]ci|[Hh]ier (?:ist|is)|"
    r"[Cc]'est)\s+(?:(?:a|o|la|el|le)\s+)?[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)?\s*,\s*"
    + _ARTICLE
    + _PHRASE
)
# "CFO at Vantage Pet Co (250 staff)", "hey - eng manager at Splinter", "Head of X at Y here"
_TITLE_AT_START = re.compile(
    r"^[ \t>]*(?:(?:hi|hey|hello|hiya)(?: there| all| team| folks)?[^\w\n]{0,8}?"
    r"(?:[-–—][ \t]*)?)?(?P<phrase>[A-Za-z][\w&./' -]{1,50}?)[ \t]+(?:at|@)[ \t]+"
    r"(?:an? |the )?[\w(~-]",
    re.MULTILINE,
)
# "CTO here, ...", "hey, ops manager here -"
_TITLE_HERE = re.compile(
    r"(?:^[ \t>]*(?:(?:visitor|user|guest|customer|client|prospect|me)\b[^\n:]{0,25}:[ \t]*)?|"
    r"[.!?][ \t]+)(?:(?:hi+|hey+|hello|hiya|heya|yo|howdy)(?: there| all| team| folks)?"
    r"[^\w\n]{0,8}?(?:[-–—][ \t]*)?)?(?P<phrase>[a-z][\w&./' -]{1,50}?) here\b",
    re.MULTILINE,
)
_THIRD_PERSON = WordPattern(
    r"\b(?:she|he|they)(?:'s| is|'re| are| was| works as)\s+(?:currently\s+|now\s+)?"
    + _ARTICLE
    + _PHRASE
    + r"|\b(?:contact|lead|prospect|caller|visitor|sender|inquirer)(?:'s title)? (?:is|was)\s+"
    + _ARTICLE
    + _PHRASE.replace("phrase", "phrase2"),
)
_SPOKE_WITH = WordPattern(
    r"\b(?:spoke|talked|met|chatted|call|meeting|demo) (?:with|to)\s+"
    r"(?:[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?\s*,?\s*)?(?:the|their|a|an)\s+" + _PHRASE,
)
# "Dana Lee (CFO @ Globex)"; not a chat speaker label like "Tomas (AE):".
# A person's name: 'Ilić', "O'Neil", 'Anjali R.'.
_NAME = r"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,2}(?:\s+[A-Z]\.)?"
_NAME_PAREN = WordPattern(r"\b" + _NAME + r"\s*\((?P<phrase>[^()\n]{2,60})\)")
# "Kai (SDR)" relaying a lead is our own sales desk, not the prospect.
_NOT_THE_WRITER = re.compile(
    r"\s*(?:sdr|bdr|ae|csm|am|sales|inbound|marketing ops|revops)(?: (?:manager|lead|team))?\s*$"
    r"|.*\bmy\b"
)
# The job someone applies for: "Initiativbewerbung als ...", "applying as ...".
_APPLIES = re.compile(
    r"(?:bewerbung|bewerbe mich|application|applying|apply|candidature|candidatura|"
    r"sollicitatie|solliciteer|postul\w*)\s*$"
)
# "sat next to Raymond Tsai - Chief Financial Officer, Kettering Mills"
_NAME_THEN_ROLE = WordPattern(
    r"\b[A-Z][^\W\d_A-Z]+ [A-Z][^\W\d_A-Z]+(?:,| [-–—·|•])[ \t]+(?P<phrase>[^,.;:\n()|·]{2,60})"
)
# "CFO @ Globex": found from each " @ " backwards (a forward scan from every word is slow).
_AT_SIGN = re.compile(r"\s@\s*[A-Z0-9]")
_WORDS_BEFORE_AT = re.compile(r"(?P<phrase>(?:[A-Za-z][\w&/.'-]* ){0,4}[A-Za-z][\w&/.'-]*)$")
_NAME_LINE = re.compile(
    r"^[ \t>*~–—-]*(?P<name>[A-Z][\w'.-]+(?:[ \t]+[A-Z][\w'.-]+){0,3})[ \t]*(?:,|\||-|–|—|/)[ \t]*"
    r"(?P<phrase>[^\n|,;]{2,60})",
    re.MULTILINE,
)
# A signature without a sign-off: a line with just a name, then the title line.
_NAME_THEN_TITLE = re.compile(
    r"^[ \t>]*(?P<name>[A-Z][a-z'.-]+(?:[ \t]+[A-Z][a-z'.-]+){0,2})[ \t]*\n"
    r"[ \t>]*(?P<phrase>[^\n]{2,80})$",
    re.MULTILINE,
)
_FROM_HEADER = re.compile(
    r"^[ \t>]*from:[ \t]*[^,<\n]{2,40}?(?:[ \t]*<[^>\n]*>)?[ \t]*,[ \t]*(?P<phrase>[^\n,]{2,60})",
    re.MULTILINE,
)
# A dash sign-off at the end of a chat line: "... discount? - Marcy, Program Director, Acme"
_DASH_SIGNATURE = re.compile(
    r"[.!?)][ \t]+[-–—~]+[ \t]*[A-Z][a-z'-]+(?:[ \t]+[A-Z][a-z'-]+)?[ \t]*,[ \t]*"
    r"(?P<phrase>[^,\n()]{2,60})"
)
# A line that opens with the writer's role: "cfo, 80 ppl, ...", "IT mgr, Acme Rail (2k staff)",
# "owner of Rusty Anchor", "Marketing Mgr / Greystone"; or a sentence that does "... at Acme".
_ROLE_FIRST = re.compile(
    r"^[ \t]*(?P<phrase>[a-z][a-z&.' -]{1,40}?)[ \t]*(?:,|\(|[ \t][-–—/][ \t]|(?<!head) of[ \t])",
    re.MULTILINE,
)
_ROLE_AT_SENTENCE_START = re.compile(
    r"[.!?][ \t]+(?P<phrase>[a-z][a-z&.' -]{1,40}?)[ \t]+(?:at|@)[ \t]+[\w(~-]"
)
_NOT_A_ROLE_START = re.compile(
    r"(?:hi|hello|hey|dear|thanks|thank|sorry|ok|okay|so|yes|no|just|also|quick|new|inbound|"
    r"hot|warm|cold|lead|re|fw|fwd|note|notes|the|this|that|we|i|my|our|hope|please|per)\b"
    r"|.*\b(?:notes?|call|meeting|form|scan|webinar|ticket|download|summary|handoff|intake|"
    r"portal|hub|registration|referral|deal)\b"
)
# Marketer notes naming the prospect: "Prospect: Gordon Blaine, EVP Shared Services, ..."
_PERSON_LINE = re.compile(
    r"^[ \t>*-]*(?:prospect|contact|lead|attendee|visitor|requester|requestor|customer|client|"
    r"applicant|name|who)"
    r"[ \t]*:[ \t]*[a-z][^,\n(]{1,40}?[ \t]*[,(][ \t]*(?P<phrase>[^\n,()]{2,60})",
    re.MULTILINE,
)
# 'reg form: title "Engineer"'
_QUOTED_TITLE = WordPattern(r"\b(?:job )?title[ \t]+[\"“](?P<phrase>[^\"”\n]{2,60})[\"”]")
_BULLET = re.compile(r"^[ \t]*[-*•][ \t]+(?P<phrase>[^,\n:]{2,40})(?:,|$)", re.MULTILINE)
_TITLE_LINE = re.compile(
    r"^[ \t>*-]*(?:job title|title|role|position|designation|job role|job|issuer|completed by)"
    r"[ \t]*:[ \t]*"
    r"(?P<phrase>[^\n;|]{2,80})",
    re.MULTILINE,
)
_SIGN_OFF = re.compile(
    r"^[ \t>]*(?:best(?: regards| wishes)?|thanks(?: so much| again)?|thank you|many thanks|"
    r"regards|kind regards|warm regards|cheers|sincerely|talk soon|thx|br|yours|respectfully|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|"
    r"(?:viele|beste|liebe|freundliche) grü(?:ß|ss)e|"
    r"grüße|grüsse|gruß|vg|lg|mfg|cordialement|bien cordialement|bien à vous|salutations|"
    r"(?:un )?saludo|saludos(?: cordiales)?|atentamente|un abrazo|met vriendelijke groet(?:en)?|"
    r"vriendelijke groet(?:en)?|(?:hartelijke )?groet(?:en)?|groetjes|mvg|atenciosamente|abraços?|"
    r"cumprimentos|obrigad[oa]|gracias|merci|danke|bedankt|"
    r"--|—|–)[ \t]*[,!.]?[ \t]*$",
    re.MULTILINE,
)
_BUSINESS_NOUN = (
    r"(?:company|business|studio|agency|firm|shop|practice|startup|bakery|restaurant|cafe|"
    r"store|clinic|salon|gym|consultancy|brand|boutique|farm|garage|franchise|label|"
    r"school|hotel|bar|brewery|winery|workshop|factory|plant|office|group|place|outfit)"
)
_OWNER_VERB = WordPattern(
    r"\b[Ii] (?P<verb>own|run|founded|co-?founded|started|co-own)\s+(?:(?:a|an|my|our|the|this)\s+"
    r"(?:[\w&'-]+\s+){0,3}?" + _BUSINESS_NOUN + r"\b|[A-Z][\w&'-]+)",
)
_LEAD_VERB = WordPattern(
    r"\bi (?P<verb>lead|manage|head(?: up)?|oversee|run)\s+(?:the|a|an|our|my|this)\s+"
    r"(?:[\w&-]+\s+){0,3}?(?:team|department|group|function|org|organi[sz]ation|division|unit)\b",
)
_FORWARD = re.compile(
    r"^[ \t>]*(?:-{2,}\s*forwarded message|begin forwarded message|(?:subject:[ \t]*)?fwd?:)",
    re.MULTILINE,
)
# Where an older message of a thread starts: a header, a reply's quote line, a forward.
_OLDER_MESSAGE = re.compile(
    r"^[ \t>]*(?:from:\s|-{2,}[ \t]*(?:original message|forwarded message)|"
    r"begin forwarded message|on\b[^\n]{0,160}?\bwrote:)|^[ \t]*>",
    re.MULTILINE,
)
# The newest message's own header lines at the top ("From: Marta ...", "To:", "Subject: RE:").
_TOP_HEADERS = re.compile(r"(?:[ \t]*(?:(?:from|to|cc|date|sent|subject):[^\n]*)?\n)*")
_FROM_LINE = re.compile(r"^[ \t>]*from:", re.MULTILINE)
_FROM_NAME = re.compile(r"^[ \t>]*from:[ \t]*(?P<name>[^\W\d_]*)", re.MULTILINE)
# A note on top that hands an older message on: "Passing this on from the webinar", "FYI".
_PASSES_ON = WordPattern(
    r"\b(?:pass(?:ing)? (?:this|it)(?: one)? (?:on|along)|forwarding|fyi|see below|"
    r"can (?:someone|anyone|you) (?:\w+ )?(?:take|pick|qualify|handle|grab|follow)|"
    r"pick (?:this|it) up)\b"
)
# A thread's message from our own side: "From: Our SDR", "From: Marco (our team)".
_OUR_HEADER = re.compile(r"[ \t>]*from:[^\n]*\b(?:our|us|sdr team|nurture team)\b")
# The person writing to us forwards a colleague's note: the writer is the lead.
_PROSPECT_FORWARDS = WordPattern(
    r"\b(?:from|by) my (?:\w+ )?(?:vp|boss|manager|ceo|cfo|cto|coo|cio|director|head|lead|"
    r"supervisor|colleague|team|founder|owner)\b|\bmy (?:vp|boss|manager|ceo|cfo|cto|coo|director|"
    r"supervisor)(?:'s)? (?:note|email|message)?\s*below\b|\b(?:on|from|in) my team\b|"
    r"\bi'?m the [\w &/-]{2,40} (?:at|of) [a-z]",
)
_CUT = re.compile(
    r"(?<![\w'-])(?:and|but|who|which|that|so|because|since|while|looking|trying|reaching|writing|"
    r"interested|hoping|excited|curious|wondering|not|working|reporting(?= to| into)|on behalf|"
    r"to|for|(?<=assistant )of|(?<=assistent )(?:der|des)|(?<=assistente )d[aoe]|"
    r"asked|tasked|"
    r"here|responsible|in charge|to the|for the|to our|with the|with our|currently|"
    r"we|i|my|our|your|his|her|their)\b",
)
# "owner (Dr. Patel) signs off": that title belongs to whoever decides, not to the lead.
# "I'm a recruiter by trade, but these days I'm Head of BD": a profession, not the role held.
_NOT_HELD_NOW = re.compile(r"\bby (?:trade|training|background|profession)\b")
_SOMEONE_ELSE_DECIDES = re.compile(
    r"\b(?:signs? off|sign-off|approves?|makes? the (?:final )?(?:call|decision)|decides|"
    r"has (?:the )?final say|will decide|asked me|wants me|told me)\b",
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|thanks|thank|team|all|folks|best|regards|cheers|from|to|subject|"
    r"re|fw|fwd|note|notes|lead|rep|sdr|deal|partner|portal|referral|registration|opportunity|"
    r"customer|account|contact|company|status|submitted|new|inbound)$",
)
_ABBREVIATIONS = {
    "dir": "director",
    "mgr": "manager",
    "sr": "senior",
    "jr": "junior",
    "eng": "engineering",
    "ops": "operations",
    "exec": "executive",
    "asst": "assistant",
    "coord": "coordinator",
    "admin": "administrator",
    "md": "managing director",
    "ae": "account executive",
    "sdr": "sales development representative",
    "bdr": "sales development representative",
    "csm": "customer success manager",
    "pm": "product manager",
    "individual contributor": "specialist",
    "sales executive": "sales representative",
}
# Titles in the languages leads often write in, by meaning (the rubric's hints are English).
_FOREIGN_TITLES = {
    r"assistent(?:in)?|assistente|asistente|secretaria|secrétaire|sekretär(?:in)?|"
    r"secretaresse|directiesecretaresse": "assistant",
    r"(?:team|gruppen|projekt|schicht|bereichs)?leiter(?:in)? (?:des )?teams?|"
    r"(?:team|gruppen|projekt|schicht)leiter(?:in)?|teamleider|projectleider|ploegleider|"
    r"chef(?:fe)? d'équipe|chef(?:fe)? de projet|jef[ae] de (?:equipo|proyecto)|"
    r"líder de equipe|gerente de projetos?|chefe de equipe": "team lead",
    r"geschäftsführer(?:in)?|geschaeftsfuehrer(?:in)?|gérant(?:e)?|zaakvoerder|"
    r"bedrijfsleider|vorstand(?:svorsitzende[rn]?)?": "managing director",
    r"\w+leiter(?:in)?|\w+leiding|afdelingshoofd|hoofd|chefe de": "head of",
    r"eigenaar|eigenaresse|dono": "owner",
    r"(?:mede)?oprichter|co-?fondat(?:eur|rice)|cofundador(?:a)?|sócio-fundador(?:a)?|"
    r"mitgründer(?:in)?": "founder",
    r"algemeen directeur|consejero delegado|verkställande direktör|vd|diretor(?:a)?[- ]gera[l]|"
    r"directeur(?:rice)? général(?:e)?": "ceo",
    r"sachbearbeiter(?:in)?|\w+mitarbeiter(?:in)?|administrativ[oa]|referent(?:in)?|"
    r"chargé(?:e)? de \w+|"
    r"medewerk(?:er|ster)|employée?|emplead[oa]|funcion[aá]ri[oa]|colaborador(?:a)?|"
    r"mitarbeiter(?:in)? (?:im|in der|des)": "associate",
    r"comptable|buchhalter(?:in)?|contador(?:a)?|contabilista|boekhouder": "accountant",
    r"stagiaire|praktikant(?:in)?|becari[oa]|estagiári[oa]": "intern",
    r"einkäufer(?:in)?|inkoper|acheteu(?:r|se)|compradora?": "buyer",
    r"inhaber(?:in)?": "owner",
    r"gründer(?:in)?": "founder",
    r"leiter(?:in)?": "head of",
    r"(?:jef[ae]|chef(?:fe)?) de": "head of",
    r"(?:direct(?:or|ora)|diretor(?:a)?) gene?ral|pdg|directeur général|directrice générale": "ceo",
    r"gerente gene?ral": "general manager",
    r"gerente|responsable": "manager",
    r"directora|diretora?|directeur|directrice|direttore|direttrice": "director",
    r"dueñ[oa]|propietari[oa]|propriet[aá]ri[oa]|propriétaire|titolare": "owner",
    r"fundador(?:a)?|fondat(?:eur|rice|ore)": "founder",
    r"presidente|président(?:e)?": "president",
    r"coordinador(?:a)?|coordenador(?:a)?|coordinat(?:eur|rice)": "coordinator",
    r"analista": "analyst",
    r"(?:postdoctoral |post-doctoral )?researcher|postdoc|investigador(?:a)?|"
    r"chercheu(?:r|se)|onderzoeker|pesquisador(?:a)?|forscher(?:in)?": "scientist",
    r"ingenier[oa]|engenheir[oa]|ingénieur(?:e)?": "engineer",
    r"s[oó]ci[oa]|associée?": "partner",
}
_HEAD_DASH = re.compile(r"\bhead[ \t]*[-–—:,][ \t]*(?=[a-z])")
_ABBREVIATION = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\b\.?")
_FOREIGN_TITLE = re.compile("|".join(rf"\b(?P<t{i}>{p})\b" for i, p in enumerate(_FOREIGN_TITLES)))
_FOREIGN_WORDS = tuple(_FOREIGN_TITLES.values())
# A quick first look for the words those titles start with (most phrases have none).
_FOREIGN_TITLE_START = WordPattern(
    r"\b(?:gesch|inhaber|gründer|leiter|jef|chef|direct|diret|pdg|gerente|responsable|dueñ|"
    r"propi|propri|titolare|fundador|fondat|presiden|président|coordin|coorden|analista|ingen|"
    r"ingén|engenh|soci|sóci|associ|assist|secr|sekr|office|team|gruppen|projekt|schicht|"
    r"bereich|ploeg|líder|gérant|zaak|bedrijf|vorstand|afdeling|hoofd|eigena|dono|dona|mede|"
    r"oprichter|co|mitgr|algemeen|consejero|vd|verkst|sach|mitarb|medew|employ|admin|funcion|refer|"
    r"charg|compt|buchh|contad|contab|boekh|stag|prakt|becar|estag|eink|inkop|achet|compra|"
    r"researcher|postdoc|post-doc|investigador|chercheu|onderzoeker|pesquisador|forscher)"
    r"|leiter|leiding|mitarbeiter"
)


def expand_abbreviations(phrase: str) -> str:
    """'dir. it' -> 'director it', 'office mgr' -> 'office manager', 'head – sales' -> 'head of
    sales', so hints can match (`phrase` is lowercase)."""
    phrase = _ABBREVIATION.sub(lambda match: _ABBREVIATIONS[match[1]], phrase)
    return _HEAD_DASH.sub("head of ", phrase) if "head" in phrase else phrase


def translate_titles(phrase: str) -> str:
    """'gerente de ti' -> 'manager de ti', 'inhaberin' -> 'owner': titles in other languages
    in English words, so the rubric's hints can match (`phrase` is lowercase)."""
    if not _FOREIGN_TITLE_START.search(phrase):
        return phrase
    return _FOREIGN_TITLE.sub(lambda match: _FOREIGN_WORDS[int(match.lastgroup[1:])], phrase)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A pattern whose `phrase` group names a role: its priority, whether it is the writer
    speaking of themselves (then it counts only inside the lead's part of a thread), whether
    it runs on the original text (name-shaped rules) or the lowercased one, and a literal the
    text must contain for the rule to be worth running."""

    pattern: re.Pattern[str] | WordPattern
    priority: int
    own_voice: bool
    on_original: bool = False
    needs: str = ""
    # A group led by a person's name: its first word must not be 'Hi' or 'Thanks', and a name
    # after 'assistant to' or 'on behalf of' is someone else's.
    skip_greeting: int | str | None = None
    last_only: bool = False  # only the last match counts (a thread's last From: header)


# In order of trust: form fields and quoted titles, then the writer's own words, then names
# followed by a role, then bullets and bare lines.
_RULES = (
    _Rule(_TITLE_LINE, 6, own_voice=False, needs=":"),
    _Rule(_PERSON_LINE, 5, own_voice=False, needs=":"),
    _Rule(_QUOTED_TITLE, 6, own_voice=False),
    _Rule(_SELF, 5, own_voice=True),
    _Rule(_THIS_IS, 5, own_voice=True, on_original=True),
    _Rule(_NAME_HERE, 5, own_voice=True, on_original=True, needs=" here"),
    _Rule(_THIS_IS_NAME, 5, own_voice=True, on_original=True, needs=","),
    _Rule(_TITLE_AT_START, 4, own_voice=True),
    _Rule(_TITLE_HERE, 4, own_voice=True, needs=" here"),
    _Rule(_AS, 4, own_voice=True),
    _Rule(_FROM_HEADER, 4, own_voice=True, needs="from:", last_only=True),
    _Rule(_NAME_PAREN, 3, own_voice=False, on_original=True, needs="("),
    _Rule(_NAME_THEN_ROLE, 3, own_voice=True, on_original=True, skip_greeting=0),
    _Rule(_SPOKE_WITH, 3, own_voice=False, on_original=True),
    _Rule(_NAME_LINE, 3, own_voice=True, on_original=True, skip_greeting="name"),
    _Rule(_NAME_THEN_TITLE, 2, own_voice=True, on_original=True, skip_greeting="name"),
    _Rule(_BULLET, 2, own_voice=False, on_original=True),
)
_PRIORITIES = (6, 5, 4, 3, 2)  # of `_RULES` and of the other candidates
_RULES_BY_PRIORITY = {
    priority: tuple(rule for rule in _RULES if rule.priority == priority)
    for priority in _PRIORITIES
}
# "Executive Assistant to Mark Chen, CEO": the title after the name is the boss's; a name
# after "registered by" (a partner portal, a colleague relaying the lead) is not the lead.
_WORKS_FOR_NAMED = re.compile(
    r"\b(?:assistant|assistent(?:in)?|assistente|secretary|secrétaire|secretaria|pa|ea)[ \t]+"
    r"(?:to|for|of|der|des|do|da|de|van)[ \t]+(?:the[ \t]+|our[ \t]+)?$"
    r"|\bon behalf of[ \t]+(?:the[ \t]+|our[ \t]+)?$"
    r"|\b(?:submitted|registered|referred|forwarded|posted|entered|logged|sent) by[ \t]+$"
)
_OWNER_CANONICAL = {"own": "owner", "run": "owner", "co-own": "owner"}
_LEAD_CANONICAL = {"oversee": "director", "lead": "manager", "manage": "manager", "run": "manager"}


# Someone introducing the lead to us (an investor, an advisor, a customer referring a friend):
# the writer is not the lead, so their own title and signature do not count.
_INTRODUCES = WordPattern(
    r"\b(?:connect(?:ing)? you (?:two|both|(?:with|to)(?! (?:an?|our|the|one of|someone|somebody|"
    r"a member)\b))|put(?:ting)? you (?:two )?in touch|"
    r"introduc(?:e|ing) you to|wanted to introduce|(?:let me |i'?d like to )?introduce "
    r"(?!myself)[a-z]+|introducing (?!myself)[a-z]+|meet (?!you|with|up)[a-z]+(?=,)|"
    r"over to you|take it from here|\w+ <> you|my client|"
    r"will be your (?:main )?(?:point of )?contact)\b"
)
# Copying someone in introduces them only when the writer's message is about 'their' company
# and 'her' team: a lead redirecting us ('looping in Priya, who owns our stack') writes 'our'.
_LOOPS_IN = WordPattern(r"\b(?:looping in|copying (?!you|me|myself)[a-z]+|cc'?ing [a-z]+)\b")
_THIRD_PARTY = re.compile(r"\b(?:they|they'?re|their|them|he|his|him|she|her)\b")
_FIRST_PLURAL = re.compile(r"\b(?:we|we'?re|we'?ve|our|us)\b")
# The introduced person's reply: a later header, a quote, 'X replied:'.
_REPLY_MARK = re.compile(r"^[ \t>]*(?:from:|-{2,}|>)|\b(?:replied|wrote):", re.MULTILINE)
# "Lena is co-founder & COO of Freightly", "meet Aisha, CEO of Kora": the introduced lead.
_INTRODUCED_ROLE = re.compile(
    r"\b[A-Z][a-z'-]+(?:[ \t]+[A-Z][a-z'-]+)?(?:,| is| is the| is our| who is)[ \t]+"
    r"(?:the[ \t]+|a[ \t]+|an[ \t]+|their[ \t]+|his[ \t]+|her[ \t]+)?"
    r"(?P<phrase>[^,.\n();]{2,50}?)(?:(?<!Head)[ \t]+(?:at|of|@|from)[ \t]+(?=[A-Z])|[ \t]*,)"
)


def _introduction(lower: str, lead_zone: tuple[int, int]) -> tuple[int, int] | None:
    """The referrer's part of an introduction (from the start of the writer's message to the
    lead's reply, if any), or None when the writer is not introducing someone (an
    introduction quoted below the lead's own reply is an older message)."""
    intro = _INTRODUCES.search(lower, *lead_zone)
    loops_in = None if intro else _LOOPS_IN.search(lower, *lead_zone)
    if intro is None and loops_in is None:
        return None
    reply = _REPLY_MARK.search(lower, (intro or loops_in).end())
    end = reply.start() if reply else len(lower)
    writer = lower[lead_zone[0] : min(end, lead_zone[1])]
    if loops_in and len(_THIRD_PARTY.findall(writer)) <= len(_FIRST_PLURAL.findall(writer)):
        return None
    return lead_zone[0], end


def find_role_phrases(text: str, lower: str) -> RoleCandidates:
    """Candidate phrases naming the lead's role, best first. `lower` is `text` lowercased
    (same length): case-insensitive rules run on it, name-shaped rules on `text`."""
    return RoleCandidates(_role_phrases(text, lower))


class RoleCandidates:
    """Role phrases found one priority at a time, as they are asked for: most leads name
    their role in the first ones, so the weaker rules rarely run. Iterable more than once."""

    __slots__ = ("_found", "_pending")

    def __init__(self, phrases: Iterator[RolePhrase]):
        self._found: list[RolePhrase] = []
        self._pending = phrases

    def __iter__(self) -> Iterator[RolePhrase]:
        index = 0
        while True:
            if index == len(self._found):
                phrase = next(self._pending, None)
                if phrase is None:
                    return
                self._found.append(phrase)
            yield self._found[index]
            index += 1


def _role_phrases(text: str, lower: str) -> Iterator[RolePhrase]:
    lead_zone = _lead_zone(lower)
    introduction = _introduction(lower, lead_zone)
    groups = (
        _of_priority(priority, text, lower, lead_zone, introduction) for priority in _PRIORITIES
    )
    if '"' in text or "“" in text:  # which first person counts depends on every candidate
        found = _prefer_quoted(text, [role for group in groups for role in group])
        found.sort(key=lambda role: (-role.priority, role.start))
        yield from found
        return
    for group in groups:
        yield from group


def _of_priority(
    priority: int,
    text: str,
    lower: str,
    lead_zone: tuple[int, int],
    introduction: tuple[int, int] | None,
) -> list[RolePhrase]:
    """The candidates of one priority, in order."""
    found = _rule_matches(text, lower, lead_zone, priority)
    if priority == 5:
        found.extend(_owner_verbs(text, lead_zone))
    elif priority == 4:
        found.extend(_lead_verbs(lower, lead_zone))
        found.extend(_third_person(lower))
    elif priority == 3:
        found.extend(_words_before_at_signs(text))
    elif priority == 2:
        found.extend(_signature_lines(lower, lead_zone))
    if introduction is not None:
        found = [
            role for role in found if not (role.own_voice and _in_zone(role.start, introduction))
        ]
        if priority == 5:
            found.extend(
                _candidate(match, 5, False)
                for match in _INTRODUCED_ROLE.finditer(text, *introduction)
            )
    found.sort(key=lambda role: role.start)
    return found


def _in_zone(position: int, lead_zone: tuple[int, int]) -> bool:
    return lead_zone[0] <= position < lead_zone[1]


def _candidate(match: re.Match[str], priority: int, own_voice: bool, group: str = "phrase"):
    start, end = match.span(group)
    return RolePhrase(match.start(), end, start, end, priority, None, own_voice)


def _rule_matches(
    text: str, lower: str, lead_zone: tuple[int, int], priority: int
) -> list[RolePhrase]:
    """Every match of the `_RULES` of one priority; the writer's own words only within the
    lead's part of a thread."""
    found = []
    for rule in _RULES_BY_PRIORITY[priority]:
        if rule.needs and rule.needs not in lower:
            continue
        source = text if rule.on_original else lower
        matches = rule.pattern.finditer(source)
        if rule.last_only:
            matches = list(matches)[-1:]
        for match in matches:
            if rule.own_voice and not _in_zone(match.start(), lead_zone):
                continue  # someone other than the lead talking about themselves
            if rule.skip_greeting is not None and (
                _GREETING.match(match[rule.skip_greeting].split()[0].lower())
                or _WORKS_FOR_NAMED.search(lower, max(0, match.start() - 40), match.start())
            ):
                continue
            if rule.pattern is _NAME_LINE and lower.startswith("the ", match.start("phrase")):
                continue  # "LeadForge – the AI lead qualification platform": a tagline
            if rule.pattern is _NAME_PAREN and _NOT_THE_WRITER.match(match["phrase"].lower()):
                continue  # "Kai (SDR)" is our desk, "Gary (owner, my brother-in-law)" kin
            if rule.pattern is _AS and _APPLIES.search(
                lower, max(0, match.start() - 30), match.start()
            ):
                continue  # "application as Account Manager": the job wanted, not held
            found.append(_candidate(match, rule.priority, rule.own_voice))
    return found


def _owner_verbs(text: str, lead_zone: tuple[int, int]) -> list[RolePhrase]:
    """'I own a bakery' (owner), 'I co-founded Acme' (founder)."""
    found = []
    for match in _OWNER_VERB.finditer(text):
        if _in_zone(match.start(), lead_zone):
            canonical = _OWNER_CANONICAL.get(match["verb"].lower(), "founder")
            found.append(RolePhrase(*match.span(), *match.span(), 5, canonical, True))
    return found


def _lead_verbs(lower: str, lead_zone: tuple[int, int]) -> list[RolePhrase]:
    """'I lead the ops team' (manager), 'I oversee IT' (director)."""
    found = []
    for match in _LEAD_VERB.finditer(lower):
        if _in_zone(match.start(), lead_zone):
            verb = match["verb"]
            canonical = "head of" if verb.startswith("head") else _LEAD_CANONICAL[verb]
            found.append(RolePhrase(*match.span(), *match.span(), 4, canonical, True))
    return found


def _third_person(lower: str) -> list[RolePhrase]:
    """A marketer's note about the prospect: 'she's VP Ops', 'contact is the CFO'."""
    return [
        _candidate(match, 4, False, "phrase" if match["phrase"] else "phrase2")
        for match in _THIRD_PERSON.finditer(lower)
    ]


def _words_before_at_signs(text: str) -> list[RolePhrase]:
    """'CFO @ Globex': found from each ' @ ' backwards (a forward scan from every word is
    slow)."""
    found = []
    for at in _AT_SIGN.finditer(text) if "@" in text else ():
        match = _WORDS_BEFORE_AT.search(text, max(0, at.start() - 60), at.start())
        if match:
            found.append(_candidate(match, 3, False))
    return found


def find_shorthand_role_phrases(text: str, lower: str) -> list[RolePhrase]:
    """Weaker candidates, looked at only when `find_role_phrases` gives none that names a
    role: chat shorthand ("cfo, 80 ppl", "IT mgr, Acme (2k staff)", "... at Acme" after a
    sentence) and a dash sign-off ("... - Marcy, Program Director, Acme")."""
    matches = list(_ROLE_FIRST.finditer(lower))
    if " at " in lower or " @ " in lower:
        matches.extend(_ROLE_AT_SENTENCE_START.finditer(lower))
    if "- " in text or "— " in text or "– " in text:
        matches.extend(_DASH_SIGNATURE.finditer(text))
    if not matches:
        return []
    lead_zone = _lead_zone(lower)
    introduction = _introduction(lower, lead_zone) or (0, 0)
    found = []
    for match in matches:
        start, end = match.span("phrase")
        if (
            lead_zone[0] <= match.start() < lead_zone[1]
            and not _in_zone(match.start(), introduction)
            and not _NOT_A_ROLE_START.match(lower, start, end)
            and not OUR_SPEAKER_LABEL.match(lower, start)
        ):
            found.append(RolePhrase(match.start(), end, start, end, 1, None, True))
    found.sort(key=lambda role: role.start)
    return found


# A marketer's paste of the lead's words; "> " lines of a reply chain are older messages.
_QUOTED = re.compile(r"\"[^\"]{40,}\"|“[^”]{40,}”")


def refined(role: RolePhrase, lower: str) -> RolePhrase | None:
    """The candidate with its phrase cut where the role description ends ('analyst and my VP
    asked' -> 'analyst'), or None when the phrase says someone else decides. Done only for
    the candidates a criterion actually looks at."""
    if role.canonical:
        return role
    start, end = role.phrase_start, role.phrase_end
    cut = _CUT.search(lower, start, end)
    end = cut.start() if cut else end
    if end - start < 2 or _SOMEONE_ELSE_DECIDES.search(lower, start, end):
        return None
    if role.own_voice and _NOT_HELD_NOW.search(lower, start, role.phrase_end):
        return None
    return RolePhrase(role.start, end, start, end, role.priority, None, role.own_voice)


def _prefer_quoted(text: str, found: list[RolePhrase]) -> list[RolePhrase]:
    """When a marketer pastes the lead's own words in quotes and the lead speaks about
    themselves there, the first person outside the quotes is the marketer."""
    if '"' not in text and "“" not in text:
        return found
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    if not quoted:
        return found

    def inside(role: RolePhrase) -> bool:
        return any(start <= role.start < end for start, end in quoted)

    if not any(role.own_voice and inside(role) for role in found):
        return found
    return [role for role in found if not role.own_voice or inside(role)]


def _lead_zone(lower: str) -> tuple[int, int]:
    """The part of a thread written by the lead. In a reply chain the newest message, on top,
    is the lead's (older messages below it are quoted); in a forward it is the forwarded
    message, unless the forwarder is the prospect passing on a colleague's note ('see my
    VP's note below')."""
    top = _TOP_HEADERS.match(lower).end()
    older = _OLDER_MESSAGE.search(lower, top)
    if top == 0 and older is not None and older[0].lstrip().startswith("from:"):
        line_end = lower.find("\n", older.end())
        if "\n" not in lower[: older.start()].strip() and line_end != -1:
            # "Ticket #77102 | Sync\nFrom: Denise ...": a title line above the message's header
            top = _TOP_HEADERS.match(lower, line_end + 1).end()
            older = _OLDER_MESSAGE.search(lower, top)
    if older is None:
        return 0, len(lower)
    forward = _FORWARD.search(lower, 0, older.end())
    newest = lower[top : older.start()]
    if (
        forward is None
        and newest.strip()
        and not _OUR_HEADER.match(lower)
        and (not _PASSES_ON.search(newest) or _PROSPECT_FORWARDS.search(newest))
    ):
        return 0, older.start()
    forward = older if forward is None or forward.start() < top else forward
    if _PROSPECT_FORWARDS.search(lower, 0, forward.start()):
        return 0, forward.start()
    headers = list(_FROM_NAME.finditer(lower, forward.start()))
    forwarder = lower[: older.start()]
    # The oldest message is the prospect's, unless the forwarder wrote it ('-Priyanka (CSM)'
    # on top, Priyanka's question at the bottom): then the one after it.
    while len(headers) > 1 and _named_in(headers[-1]["name"], forwarder):
        headers.pop()
    return (headers[-1].start() if headers else forward.start()), len(lower)


def _named_in(name: str, text: str) -> bool:
    return bool(name) and re.search(rf"\b{re.escape(name)}\b", text) is not None


def _signature_lines(text: str, lead_zone: tuple[int, int]) -> list[RolePhrase]:
    """The short lines right after a sign-off ('Best,', 'Thanks,', '--')."""
    lines: list[RolePhrase] = []
    for sign_off in _SIGN_OFF.finditer(text):
        if not lead_zone[0] <= sign_off.start() < lead_zone[1]:
            continue
        position = sign_off.end() + 1
        for _ in range(4):
            if position >= len(text):
                break
            line_end = text.find("\n", position)
            line_end = len(text) if line_end == -1 else line_end
            line = text[position:line_end]
            if line.strip() and len(line.split()) <= 12:
                lines.append(RolePhrase(position, line_end, position, line_end, 2, None, True))
            position = line_end + 1
    return lines


_SOMEONE_ELSES = re.compile(
    r"\b(?:my|our|your|his|her|their|the company'?s|whose|to|for|with|from|by|of the|"
    r"on behalf of|unser\w*|mein\w*|notre|nos|mon|ma|nuestr[oa]s?|onze|mijn|noss[oa]s?|"
    r"meu|minha)\s+(?:\w+\s+)?$",
)


_BOSS_AFTER = re.compile(
    r"\b(?:assistant|assistent(?:in)?|assistente|asistente|secretary|secrétaire|secretaria|"
    r"pa|ea)[ \t]+(?:to|for|of|der|des|do|da|de|van)[ \t]+.*$"
)


def own_title(title: str) -> str:
    """A title field without the boss it names: 'executive assistant to the ceo' is an
    assistant's title (`title` is lowercase)."""
    match = _BOSS_AFTER.search(title)
    if match is None:
        return title
    return title[: match.start()] + match.group().split()[0]


# "sitting in a shared inbox with no\nowner": nobody holds it, whatever line it starts.
_NOBODY_HOLDS = re.compile(r"\b(?:no|without(?: an?| any)?|lacks?(?: an?)?)\s+$")


def names_no_holder(lower: str, phrase_start: int) -> bool:
    """The role word is what the lead lacks ('with no owner'), not anyone's title."""
    return _NOBODY_HOLDS.search(lower, max(0, phrase_start - 16), phrase_start) is not None


def is_someone_elses(phrase: str, title_start: int) -> bool:
    """True for 'my VP' / 'reporting to the CTO' within a phrase: someone else's title."""
    return bool(_SOMEONE_ELSES.search(phrase, max(0, title_start - 30), title_start))
