"""Built-in knockout rules, used alongside the rubric's own knockout hints.

A rule only applies when the rubric has a knockout with its id (student, job_seeker, vendor,
competitor, spam). Guards veto hits that only look like knockouts: a buyer with "40 open
roles to fill", a "student success manager", a vendor-sounding phrase about someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualifiers.extract.patterns import WordPattern, word_patterns
from qualifiers.extract.sentences import need_sentences


@dataclass(frozen=True)
class KnockoutRule:
    patterns: tuple[WordPattern, ...] = ()
    not_before: re.Pattern[str] | None = None  # searched in the 40 characters before a hit
    not_before_applies: re.Pattern[str] | None = None  # ...only for hits like this (else all)
    not_after: re.Pattern[str] | None = None  # matched right after a hit
    # (hit, also required anywhere in the text): signals that only knock out together
    paired: tuple[tuple[WordPattern, WordPattern], ...] = ()
    # A hit that describes the writer's own business ("we offer SEO services to our clients",
    # "I run a recruitment agency") is vetoed when they state a problem of their own: they
    # are buying, whatever they sell.
    own_business_veto: bool = False
    # A hit told of the writer's past ("my thesis at uni back in 2021") is not who they are now.
    past_veto: bool = False


# "student success manager", "student housing": a university's staff and services, no student.
_STUDENT_SERVICES = (
    r"(?:success|affairs|services|experience|engagement|information|loans?|housing|"
    r"recruitment|retention|enrol?lment|body|portal|records|support|onboarding|data)\b"
)

BUILTIN_RULES: dict[str, KnockoutRule] = {
    "student": KnockoutRule(
        past_veto=True,
        patterns=word_patterns(
            r"\b(?:i'?m|i am) (?:currently |also )?(?:a|an) (?:[\w-]+ ){0,2}(?:student|"
            r"undergrad(?:uate)?|grad student|"
            r"(?:phd|mba|master'?s|doctoral) (?:student|candidate))\b"
            r"|\b(?:i'?m|i am) (?:a |an )?(?:\w+ )?(?:professor|lecturer|phd researcher)\b"
            r"|\bacademic (?:study|research|paper|survey|project)\b|\bresearch (?:grant|study)\b"
            r"|\bmy (?:professor|lecturer|thesis|dissertation|coursework|homework|classmates|"
            r"capstone|final[- ]year project)\b|\bhomework\b"
            r"|\b(?:school|university|uni|college|class|course|semester) (?:project|assignment|"
            r"paper|report|essay)\b|\bstudying (?:at|towards|for my)\b"
        ),
        not_after=re.compile(rf"\s*{_STUDENT_SERVICES}"),
        not_before=re.compile(r"\b(?:our|their|your|serve|serving)\s+$"),
    ),
    "job_seeker": KnockoutRule(
        own_business_veto=True,
        patterns=word_patterns(
            r"\b(?:i'?m|i am) (?:currently |actively )?(?:looking for|seeking|searching for|"
            r"interested in) (?:a |an |the |your |new |any )?(?:[\w-]+ ){0,2}(?:job|position|role|"
            r"employment|work|internship|career opportunit(?:y|ies)|opportunit(?:y|ies) "
            r"(?:at|with|to join))\b(?!-)"
            r"|\b(?:apply|applying|application) (?:for|to) (?:a |an |the |any |your )?"
            r"(?:[\w-]+ ){0,3}(?:job|position|role|opening|internship|vacancy)\b"
            r"|\b(?:attached|enclosed|please find|here is|sharing) (?:is )?my "
            r"(?:resume|résumé|cv)\b"
            r"|\bmy (?:resume|résumé|cv) (?:is )?(?:attached|enclosed|below)\b"
            r"|\b(?:do you have|are there) any (?:job )?(?:openings|vacancies|open positions|"
            r"open roles|positions available)\b|\bhire me\b|\bjoin your team\b"
            r"|\b(?:candidates|talent) for your (?:open )?(?:roles|positions|team|vacancies)\b"
            r"|\b(?:pre-?vetted|pre-?screened|qualified|top|shortlisted) (?:\w+ )?candidates\b"
            r"|\bcandidates (?:ready|available) to\b|\bplacement fee\b"
            r"|\bfees? (?:is |are |from |of |at |start(?:ing)? at )?\d+ ?% of "
            r"(?:first[- ]year |annual |base )?salar(?:y|ies)\b"
            r"|\bdo you (?:need|want) (?:any |more )?(?:candidates|talent|recruits|new hires)\b"
            r"|\byou have (?:\w+ ){0,2}open (?:\w+ )?(?:roles|positions|reqs|vacancies)\b"
            r"|\b(?:looking for|seeking) my next (?:role|job|position|opportunity)\b"
            r"|\bbe considered for\b"
            r"|\b(?:a place|a role|an opening|room|a spot) for (?:someone like me|me|myself) "
            r"(?:on|in|at|with) your\b|\b(?:share|send|attach) my (?:portfolio|references)\b"
            # an application in German, French, Spanish, Portuguese, Dutch
            r"|\b(?:initiativ)?bewerbung als\b|\bbewerbe mich\b|\bmein(?:en)? lebenslauf\b"
            r"|\bma candidature\b|\bmon cv\b|\bmi (?:cv|currículum|curriculum|hoja de vida)\b"
            r"|\b(?:meu|o meu) (?:cv|currículo|curriculo)\b|\bmijn (?:cv|sollicitatie)\b"
            r"|\bsolliciteer\b|\bpostularme\b|\bme candidatar\b"
        ),
        not_before=re.compile(
            r"\b(?:we|we'?ve got|we have|our|to fill|filling|fill|hiring for)\s+(?:\w+\s+){0,2}$"
        ),
        not_before_applies=re.compile(r"open|openings|roles|positions|vacanc"),
    ),
    "vendor": KnockoutRule(
        own_business_veto=True,
        patterns=word_patterns(
            r"\b(?:we|i|our (?:agency|team|firm|company)) "
            r"(?:can |could |would love to |'?d love to |will )?"
            r"(?:help|build|design|develop|redesign|offer|provide) "
            r"(?:you|your (?:company|team|business|brand|website|site|app))\b"
            r"|\bhelp(?:ed|s|ing)? (?:companies|businesses|brands|teams|startups|firms|"
            r"organi[sz]ations) like (?:yours|you)\b"
            r"|\b(?:increase|boost|double|triple|grow|improve) your (?:sales|traffic|revenue|leads|"
            r"conversions?|rankings?|seo|visibility|roi|pipeline|online presence)\b"
            r"|\b(?:would you be|are you) (?:interested|open) (?:in|to) (?:our|a|exploring a) "
            r"(?:services?|partnership|collaboration|offer|proposal)\b"
            r"|\b(?:offer|pitch|introduce|present|showcase) (?:you )?our "
            r"(?:[\w-]+ ){0,3}(?:services|solutions|agency|team|offering|capabilities)\b"
            r"|\bdedicated (?:development|dev|engineering|offshore) teams?\b"
            r"|\b(?:explore|discuss|schedule|propose) (?:a|an) (?:integration|partnership|"
            r"collaboration)\b|\bco-marketing\b"
            # a rep's note on what the visitor came for
            r"|\b(?:wants?|wanted|trying|tried|came) to (?:pitch|sell (?:us|to us))\b"
            # reselling under their own brand, in other languages
            r"|\b(?:revend(?:er|re)|wiederverkauf\w*|weiterverkauf\w*|doorverkop\w*)\b"
            r"|\b(?:we'?d|we would|we can|we could|i can|i could|i'?d) (?:produce|write|create|"
            r"deliver|run|manage) (?:\w+ ){0,3}(?:articles|posts|blogs?|content|videos|"
            r"campaigns|ads|backlinks)\b|\bseo[- ]optimi[sz]ed\b|\byour (?:blog|website|site) "
            r"(?:could|needs|would)\b"
            r"|\b(?:resell(?:ing)? your|white[- ]label|affiliate program|staff augmentation|"
            r"dedicated developers|offshore (?:team|developers|development)|nearshore)\b"
        )
        # Sales pitches dressed as inquiries: lead lists, booked demos, builds, partnerships.
        + word_patterns(
            r"\bfill(?:ing)? your pipeline\b"
            r"|\bdo you (?:need|want) more (?:\w+ )?(?:leads|demos|meetings|customers|clients|"
            r"traffic|sales|appointments|pipeline)\b"
            r"|\bverified (?:[\w-]+ ){0,2}(?:contacts|emails)\b"
            r"|\bbecom(?:e|ing) (?:a |an |your )?(?:[\w-]+ (?:or |and )?){0,3}partners?\b",
            per_pattern=4,
        )
        + (
            WordPattern(
                r"\b(?:help|helped|helps|helping|work with|worked with|working with|serve|serving) "
                r"(?:[\w&-]+ ){1,4}like yours\b"
            ),
            WordPattern(r"\b(?:build|develop|create|design|make) (?:\w+ ){0,3}for you\b"),
        ),
        not_before=re.compile(r"\b(?:need|want|looking for|find|hire|hiring)\s+(?:\w+\s+){0,3}$"),
    ),
    "competitor": KnockoutRule(
        patterns=word_patterns(
            r"\b(?:i|we) (?:work|am|are|'m|'re) (?:at|for|with)? ?(?:a |one of your |your )"
            r"(?:direct )?competitors?\b"
            r"|\b(?:we|i) (?:build|make|sell|run|develop|offer) (?:a |our own )?(?:very )?"
            r"(?:similar|competing|rival) (?:product|tool|platform|solution|service)\b"
            r"|\bcompetitive (?:analysis|intelligence|research) (?:of|on) (?:you|your)\b"
            r"|\bbenchmark(?:ing)? (?:you|your (?:product|pricing|platform|features)) "
            r"(?:against|for) (?:ours|our)\b"
            r"|\bcompare (?:it|you|your \w+) (?:to|with|against) ours\b"
            r"|\bwe (?:also )?(?:build|make|sell|develop|offer|do) (?:[\w-]+ ){1,4}"
            r"(?:too|as well)\b"
            r"|\bwe'?re (?:basically )?(?:neighbou?rs|in the same space|a competing)\b"
            r"|\bwe (?:directly )?compete (?:directly )?with you\b"
        )
        # Studying us rather than buying: analyses, benchmarks, positioning, a similar build.
        + word_patterns(
            r"\bcompetitive (?:analysis|intelligence|benchmark\w*|research|landscape|teardown)\b"
            r"|\bmarket benchmark\w*\b|\bin the same (?:space|market|category)\b"
            r"|\bbenchmark(?:ing)? (?:of )?(?:competitors?'?|vendors?'|the market|the competition)"
            r"|\b(?:internal|pricing) benchmark of (?:the market|vendors|competitors)\b"
            r"|\bwe (?:build|make|sell) (?:[\w-]+ ){1,3}ourselves\b"
            r"|\b(?:building|build|developing|launching) (?:something|a product|a tool|"
            r"a platform|an app) (?:very |quite |pretty )?similar\b"
            r"|\bposition(?:ed|ing)? (?:yourselves |yourself |you )?against\b"
            r"|\bon behalf of (?:our|a|my) client,? (?:a|an|who is a|which is a) "
            r"(?:[\w-]+ ){0,3}(?:vendor|provider|maker|developer)\b"
            r"|\b(?:engaged|hired|retained|commissioned) by (?:a|our|my) client,? "
            r"(?:that|who|which) (?:develops|makes|builds|sells|offers)\b"
            r"|\bbenchmark (?:the )?(?:commercial terms|pricing|prices) of "
            r"(?:[\w-]+ ){0,2}vendors\b"
            # a colleague's note on who the writer is: "sells scoring software that competes
            # head-on with us", "goes after our exact customers"
            r"|\bcompet(?:es|ing) (?:head[- ]on |directly )?(?:with|against) us\b"
            r"|\bgo(?:es|ing)? after our (?:exact |same |own )?customers\b",
            per_pattern=3,
        ),
        # A maker of software studying ours: "we build workflow automation ... a market review".
        paired=(
            (
                WordPattern(
                    r"\b(?:market|competitive|competitor|landscape) (?:review|research|analysis|"
                    r"scan|study|comparison)\b|\bcomparison (?:page|post|article|chart)\b"
                ),
                WordPattern(
                    r"\bwe (?:build|make|develop|sell|offer) (?:[\w-]+ ){0,5}?(?:software|"
                    r"automation|platform|tool|tools|app|apps|saas|product)\b"
                ),
            ),
        ),
    ),
    "spam": KnockoutRule(
        own_business_veto=True,
        patterns=word_patterns(
            "|".join(
                rf"\b{phrase}"
                for phrase in (
                    r"seo (?:services|agency|experts?|package)\b",
                    r"first page (?:of|on) google\b",
                    r"rank #?1 on\b",
                    r"link building\b",
                    r"guaranteed (?:results|leads|roi|traffic|returns?)\b",
                    r"work from home\b",
                    r"make money\b",
                    r"earn \$",
                    r"cash prize\b",
                    r"you(?:'ve| have) won\b",
                    r"you have been selected\b",
                    r"claim your\b",
                    r"wire transfer\b",
                    r"gift cards?\b",
                    r"investment opportunity\b",
                    r"loan offer\b",
                    r"weight loss\b",
                    r"airdrop\b",
                    r"free money\b",
                    r"act now\b",
                    r"limited (?:time offer|slots)\b",
                    r"100% free\b",
                    r"dear (?:beneficiary|winner|friend|account holder)\b",
                    r"unclaimed (?:inheritance|funds?|prize|package)\b",
                    r"inheritance fund\b",
                    r"processing fee\b",
                    r"send (?:us |me )?your (?:full name|bank details|bank account|password)\b",
                    r"(?:buy|get) (?:\d[\d,.]*k? )?(?:real |active |cheap )?"
                    r"(?:instagram |tiktok |twitter |youtube |facebook |linkedin )?"
                    r"(?:followers|likes|views|subscribers)\b",
                    # a mailing's footer, not a reader asking to be taken off a list
                    r"(?<!please )unsubscribe\b(?! (?:me|us)\b)",
                    r"(?:asdf|qwer|zxcv|hjkl)\w*",
                    r"lorem ipsum\b",
                    r"verify your (?:billing|account|payment|login|identity|password|details)\b",
                    r"confirm (?:your |the )?payment (?:today|now|immediately|within|via)\b",
                    r"to avoid (?:service |account )?(?:interruption|suspension|deactivation)\b",
                    r"account (?:will be|has been|is) (?:suspended|locked|deactivated|closed)\b",
                    r"reply with your (?:wallet|bank|password)\b",
                    r"wallet address\b",
                    r"\d{3,}% return",
                    r"(?:fixed|guaranteed) \d+(?:[.,]\d+)?% (?:annual |monthly )?"
                    r"(?:yield|returns?)\b",
                    r"(?:full|100%) capital protection\b",
                    r"congratulations!+",
                    r"double your money\b",
                )
            )
        ),
    ),
}


# Trades whose people write to place candidates with us or to study us, read from the
# writer's own title (the authority answer's evidence, never someone they mention). Counted
# only when the writer asks nothing for themselves: a recruiter or a researcher who states a
# problem of their own, or says they want to buy, is a buyer.
WRITER_TRADES: dict[str, re.Pattern[str]] = {
    "job_seeker": re.compile(
        r"\b(?:recruit(?:ment|ing) (?:consultant|partner|specialist|associate)|recruiter|"
        r"headhunter|talent (?:partner|scout|sourcer|consultant|advisor)|"
        r"executive search (?:consultant|partner))\b"
    ),
    "student": re.compile(
        r"\b(?:research (?:associate|assistant|fellow|student)|postdoc\w*|"
        r"(?:phd|ph\.d\.|doctoral|graduate|master'?s|mba|undergraduate) "
        r"(?:student|candidate|researcher)|professor|lecturer|student)\b"
        rf"(?!\s*{_STUDENT_SERVICES})"
    ),
}

_SENTENCE_BOUNDARY = re.compile(r"[.!?\n]")
_FIRST_PERSON = re.compile(r"\b(?:i|i'?m|me|my|myself)\b")
_OWN_CUSTOMERS = re.compile(
    r"\b(?:our|my) (?:\w+ ){0,2}(?:customers|clients|patients|guests|members|users|shoppers|"
    r"tenants|residents|students|buyers|patrons|passengers|subscribers|families|drivers)\b"
    r"|\bto (?:customers|clients|patients|guests|members|shoppers|families)\b"
)
_ADDRESSES_US = re.compile(r"\b(?:you|your|yours)\b")


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    before = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    after = _SENTENCE_BOUNDARY.search(text, end)
    return before, after.start() if after else len(text)


def speaks_for_self(text: str, start: int, end: int) -> bool:
    """The sentence of a hit is in the first person: 'I'm a student', 'my thesis'."""
    return _FIRST_PERSON.search(text, *_sentence(text, start, end)) is not None


_WE = re.compile(r"\b(?:we|we'?re|we'?ve|our|ours|us|i|i'?m|my|me)\b")


def in_first_person(text: str, start: int, end: int) -> bool:
    """The sentence of a hit speaks of the writer or their company: 'we', 'our', 'I'."""
    return _WE.search(text, *_sentence(text, start, end)) is not None


def addresses_reader(text: str, start: int, end: int) -> bool:
    """The sentence of a hit speaks to us: 'you', 'your'."""
    return _ADDRESSES_US.search(text, *_sentence(text, start, end)) is not None


# Whose trouble a sentence tells when it names no one of ours: theirs, other companies'
# ("they" and "them" are as often the requests themselves: "nobody triages them").
_SOMEONE_ELSE = re.compile(
    r"\b(?:their|he|his|she|her|companies|businesses|teams|firms|brands|startups|"
    r"organi[sz]ations|vendors|people)\b"
)


def is_writers_problem(text: str, start: int, end: int) -> bool:
    """The sentence of a need is the writer's: in the first person ('our quotes get lost'),
    or naming nobody else ('quote requests pile up on Mondays'); never told to the reader
    ('your leads go cold') or of others ('many companies lose leads')."""
    sentence = _sentence(text, start, end)
    if _ADDRESSES_US.search(text, *sentence) is not None:
        return False
    return _WE.search(text, *sentence) is not None or _SOMEONE_ELSE.search(text, *sentence) is None


def describes_own_business(text: str, start: int, end: int) -> bool:
    """'We offer same-day delivery to our customers': the writer's own business, told to us,
    not a pitch at us (no 'you' in the sentence, their customers named)."""
    sentence = _sentence(text, start, end)
    return (
        _OWN_CUSTOMERS.search(text, *sentence) is not None
        and _ADDRESSES_US.search(text, *sentence) is None
    )


def competitor_pattern(competitors: list[str]) -> re.Pattern[str] | None:
    """A competitor named as the writer's employer (in their words, a company field, a
    signature line) or an email address at a competitor's domain."""
    if not competitors:
        return None
    domains = [re.escape(c.lower().removeprefix("@")) for c in competitors if "." in c]
    names = [re.escape(c.lower()) for c in competitors if "." not in c]
    alternatives = []
    if domains:
        alternatives.append(rf"[\w.+-]+@(?:[\w-]+\.)*(?:{'|'.join(domains)})\b")
    if names:
        name = f"(?:{'|'.join(names)})"
        alternatives.extend(
            [
                rf"\b(?:i|we) (?:work|worked|am working|are working) (?:at|for) {name}\b",
                rf"\b(?:i'?m|i am|this is|it'?s|we'?re|we are)\b[^.\n]{{0,40}}?"
                rf"(?:\bfrom|\bat|\bwith|@) {name}\b",
                rf"\bon behalf of {name}\b|\b(?:here|team) (?:at|from) {name}\b",
                rf"(?m:^[ \t]*(?:company|company name|organi[sz]ation|employer|account)[ \t]*:"
                rf"[ \t]*{name}\b)",
                rf"(?m:^[ \t]*{name}(?: (?:inc|ltd|gmbh|llc|corp)\.?)?[ \t]*$)",
            ]
        )
    return re.compile("|".join(alternatives))


# A problem of the writer's own business, told in the first person: "our sales team can't
# keep up", "our recruiters chase cold leads", "our own RFPs pile up" (their clients' troubles
# are a pitch's proof, not a need).
_OWN_TROUBLE = re.compile(
    r"\b(?:our|my)\s+(?!clients|customers|partners|candidates)(?:own\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:can'?t|cannot|couldn'?t|don'?t|never|struggl\w*|pil\w* up|los(?:e|es|ing|t)|"
    r"miss(?:es|ed|ing)?|wast\w*|drown\w*|chas(?:e|es|ing)|go cold|fall through|"
    r"sit(?:s|ting)? (?:in|unanswered|for)|(?:is|are) (?:a mess|too slow|drowning|buried))\b"
)


# Punctuation, brackets, dashes and emoji (which end a thought in chat-style text) bound a clause.
_CLAUSE_BOUNDARY = re.compile(r"[.!?\n;:,()—–\u2600-\u27bf\U0001f300-\U0001faff]")
_LAST_CLAUSE_BOUNDARY = re.compile(r".*" + _CLAUSE_BOUNDARY.pattern, re.DOTALL)
_CLAUSE_REACH = 300


def _clause_addresses_reader(text: str, start: int, end: int) -> bool:
    reach = max(0, start - _CLAUSE_REACH)
    last = _LAST_CLAUSE_BOUNDARY.match(text, reach, start)
    before = last.end() if last else reach
    after = _CLAUSE_BOUNDARY.search(text, end)
    return _ADDRESSES_US.search(text, before, after.start() if after else len(text)) is not None


# What a buyer says they want: to buy, to be a customer, our tool for their own team.
_WANTS_TO_BUY = re.compile(
    r"\b(?:we|i) (?:want|would like|'d like|are looking|'re looking|plan|need|intend) to "
    r"(?:buy|purchase)\b|\b(?:we'?re|we are|i'?m|i am) (?:a )?(?:potential|prospective|"
    r"paying|would-be) (?:customer|client|buyer)\b|\b(?:we'?re|we are|i'?m|i am) "
    r"(?:actually |really )?buying(?= (?:for|this|it|from you)\b|\s*[,.;!—–-])"
    r"|\b(?:we|i) want (?:to buy )?your "
    r"(?:tool|software|product|platform|app|lead scoring)\b"
    r"|\bfor (?:our|my) own (?:\w+ )?(?:use|office|team|staff|business|company|people)\b"
)


def wants_to_buy(text: str, start: int, end: int) -> bool:
    """The sentence says the writer wants to buy ('we want your software for our own team'),
    whatever else in it sounds like a pitch."""
    return _WANTS_TO_BUY.search(text, *_sentence(text, start, end)) is not None


# A sentence that tells of the writer's past: "back in 2021", "when I was at uni".
_PAST = re.compile(
    r"\bback in (?:\d{4}|the day|uni|college|school)\b|\b\d+ years ago\b|\bwhen i was\b"
    r"|\bused to\b|\bduring my (?:studies|degree|phd|masters?)\b|\bformer(?:ly)?\b"
)


def says_it_buys(text: str) -> bool:
    """Somewhere the writer says they want to buy, for themselves."""
    return _WANTS_TO_BUY.search(text) is not None


# A referrer handing us someone else's inquiry: "referring Priya Shah at ...", "passing along
# a contact", "looping in my friend", "a warm lead for you". Their partner words ("your
# referral partner") say who brings the lead, not that they sell to us.
_RELAYS_A_LEAD = re.compile(
    r"\b(?:referring(?! (?:deals|clients|customers|business|leads)\b)|passing (?:along|on)|"
    r"handing (?:over|on)|introducing|"
    r"(?:wanted|like|want) to introduce|looping in|connecting you (?:with|to)|"
    r"put(?:ting)? you in touch with)\s+(?!you\b|myself\b|ourselves\b|us\b|"
    r"(?:our|my) (?:own )?(?:services|agency|team|company|firm|offer|solution|product)s?\b)"
    r"|\b(?:a|one) (?:warm |new |qualified |good )?(?:lead|referral|intro(?:duction)?) for you\b"
    # a partner portal's deal registration names the end customer it registers
    r"|\bdeal registration\b(?=[\s\S]{0,600}\b(?:end[ -]customer|customer contact|prospect)\b)"
)


def relays_a_lead(text: str) -> bool:
    """The writer passes someone else's inquiry on to us (a partner, an advisor, a friend)."""
    return _RELAYS_A_LEAD.search(text) is not None


def tells_of_the_past(text: str, start: int, end: int) -> bool:
    return _PAST.search(text, *_sentence(text, start, end)) is not None


def _runs_own_business(text: str, start: int, end: int) -> bool:
    """The hit's clause does not talk to us, and somewhere the writer says they want to buy
    or states a problem of their own in a clause that does not talk to us either (in the
    words above, or a sentence the need classifier reads as a need, in the first person)."""
    if _clause_addresses_reader(text, start, end):
        return False
    if _WANTS_TO_BUY.search(text) or any(
        not _clause_addresses_reader(text, trouble.start(), trouble.end())
        for trouble in _OWN_TROUBLE.finditer(text)
    ):
        return True
    return any(_WE.search(text, start, end) for start, end in need_sentences(text))


# "I'm not looking for a job", "not a student project", "we're not a vendor": a knockout's
# words denied by the writer are a mention, not what they are.
_DENIED = re.compile(
    r"\b(?:not|no|never|nor|isn'?t|aren'?t|i'?m not|we'?re not)\s+(?:\w+\s+)?"
    r"(?:(?:a|an|the|any|just|here|writing|trying|looking|asking)\s+){0,2}"
    # ...or a later item of the denied list: "not a student project or academic research"
    r"(?:(?:[\w-]+\s+){1,3}(?:or|nor)\s+(?:(?:a|an|the|any)\s+)?)?$"
)
_DENIAL_REACH = 50
_QUOTE_MARKS = "\"'“”‘’«»"


def _mentioned(text: str, start: int, end: int) -> bool:
    """The hit is denied just before it, or quoted as a phrase ('files this under "academic
    research"')."""
    if _DENIED.search(text, max(0, start - _DENIAL_REACH), start):
        return True
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return bool(before and after) and before in _QUOTE_MARKS and after in _QUOTE_MARKS


def guarded(rule: KnockoutRule | None, text: str, start: int, end: int) -> bool:
    """True when a hit at text[start:end] is vetoed by the rule's guards."""
    if rule is None:
        return False
    if _mentioned(text, start, end):
        return True
    if rule.own_business_veto and _runs_own_business(text, start, end):
        return True
    if rule.past_veto and tells_of_the_past(text, start, end):
        return True
    if (
        rule.not_before
        and (rule.not_before_applies is None or rule.not_before_applies.search(text, start, end))
        and rule.not_before.search(text, max(0, start - 40), start)
    ):
        return True
    return bool(rule.not_after and rule.not_after.match(text, end))


_WORD = re.compile(r"[A-Za-z]{2,}")
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)


_CONSONANT_RUN = re.compile(r"[^aeiouy\W\d_]{5}", re.IGNORECASE)
# "jkjkjk", "zzzzz", "asdasd": a short unit typed over and over.
_REPEATED_UNIT = re.compile(r"([a-z]{1,3})\1+[a-z]?")
# "qwe", "asdf", "bnm": a run of neighbouring keys.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# A form's field names ("Company:", "Budget:"), blanked when only the values are read.
_FIELD_KEY = re.compile(r"(?m)^[^:\n]{1,40}:")


def _mashed(word: str) -> bool:
    """A word nobody writes: no vowel, a long run of consonants, a repeated unit, a run of
    neighbouring keys."""
    lowered = word.lower()
    return (
        not _VOWEL.search(lowered)
        or _CONSONANT_RUN.search(lowered) is not None
        or (len(lowered) >= 4 and _REPEATED_UNIT.fullmatch(lowered) is not None)
        or (len(lowered) >= 3 and any(lowered in row for row in _KEY_ROWS))
    )


def field_values(text: str) -> str:
    """`Key: value` lines with the keys blanked (same offsets): what a form's sender typed."""
    return _FIELD_KEY.sub(lambda key: " " * len(key.group()), text)


def looks_like_gibberish(text: str, start: int = 0) -> tuple[int, int] | None:
    """Keyboard mash: most words (acronyms aside) look typed at random (see _mashed). Looks
    at text[start:] and returns the span of the mash."""
    if text.count(" ", start) > 80:
        return None  # a long message is not keyboard mash
    sample = text[start:].lower()
    letters = len(sample) - sample.count(" ")
    if sum(map(sample.count, "aeiouy")) > 0.3 * letters:
        return None  # English-like share of vowels
    words = [w for w in _WORD.finditer(text, start) if not w.group().isupper()]
    if not 3 <= len(words) <= 40:
        return None
    odd = sum(1 for w in words if _mashed(w.group()))
    if odd * 2 <= len(words):
        return None
    return words[0].start(), words[-1].end()
