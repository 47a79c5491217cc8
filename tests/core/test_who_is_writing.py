"""Authority is the writer's own role: in a thread the newest message's author, in a forward
the prospect, in a chatbot transcript the visitor's answer; never an introducer's, a quoted
rep's or a person merely mentioned."""

from __future__ import annotations

import pytest

from qualifiers.extract.offline import OfflineExtractor
from qualifiers.extract.text import mask_injections
from qualifiers.models import Lead

EXTRACTOR = OfflineExtractor()


def authority(rubric, text: str, fields: dict | None = None):
    answers = EXTRACTOR.extract(Lead(text=text, fields=fields or {}), rubric)[0].answers
    return answers["authority"].value if "authority" in answers else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # the newest message has its own From: header; our AE's older mail is below
            "From: Marta Lindqvist <m@haldor.eu>\nTo: Tom Reilly\nSubject: RE: meeting\n\n"
            "Hi Tom,\nI'm CFO here, we want to sign in Q3.\nMarta\n\n"
            "-----Original Message-----\nFrom: Tom Reilly\nSent: 18 May 2026\n\n"
            "Hi Marta, here's the deck.\nBest, Tom | Account Executive",
            "decision_maker",
        ),
        (  # a reply to a newsletter: the quoted header is the sender's, not the lead's
            "Not right now, thanks. We'll decide in Q2.\n\nAna Ruiz\nDirector of Marketing, "
            "Tidewell\n\n-----Original Message-----\nFrom: SDR Team\nSent: Monday\n"
            "> Hi Ana, worth a quick call?",
            "decision_maker",
        ),
        (  # a thread written oldest first: the buyer wrote in, our team and a colleague replied
            "From: Raj Patel <r@coastline.example>\nSubject: AP invoice capture\n\n"
            "Hi, Finance Manager at Coastline Foods. We re-key invoices by hand.\n\n"
            "From: Marco (Solutions Engineer, our team)\nHi Raj, who else joins?\n\n"
            "From: Raj Patel\nLinda confirmed the budget.",
            "influencer",
        ),
        (  # a ticket's title line above the only message's header starts no thread
            "Ticket #77102 | Severity 2\nFrom: Denise Marshall <d@st-lukes.example>\n\n"
            "Your sync broke again.\n\nDenise Marshall\nDirector of IT, St. Luke's",
            "decision_maker",
        ),
        (  # our colleague forwards; the prospect's signature is quoted with '>'
            "---------- Forwarded message ---------\nFrom: Lena Kowalski <l@ourco.example>\n\n"
            "Hi team, can someone qualify? Lena\n\n> From: Henrik Brandt <h@nordhafen.example>\n"
            "> Dear Ms Kowalski,\n> our close breaks every month.\n>\n> Kind regards\n"
            "> Henrik Brandt\n> Chief Financial Officer\n",
            "decision_maker",
        ),
        (  # the prospect forwards a colleague's note to us: the forwarder is the lead
            "From: Luis Ortega\nTo: sales@\nSubject: Fwd: this?\n\nHi - Jane on my team "
            "forwarded me your site. I'm the SDR manager at Cobaltline.\n\n"
            "---------- Forwarded message ---------\nFrom: Jane Whitford\n\n"
            "Luis, saw this on LinkedIn.\nJane (Sales Development Coordinator)",
            "influencer",
        ),
    ],
)
def test_in_a_thread_the_lead_is_the_newest_messages_author(default_rubric, text, expected):
    assert authority(default_rubric, text) == expected


def test_an_introduction_quoted_below_the_founders_reply_is_an_older_message(default_rubric):
    text = (
        "Thanks Devon (moving you to bcc).\n\nHi - I'm co-founder & CEO of Tallyhoo. We're 55 "
        "people.\nPriya\n\n> On Mon, 3 Nov 2025, Devon Marsh wrote:\n> Priya, meet the team; "
        "I'll let you two take it from here.\n> Devon Marsh, Partner, Northbeam Ventures"
    )
    assert authority(default_rubric, text) == "decision_maker"


def test_a_greeting_before_a_name_is_no_persons_title(default_rubric):
    text = "Deal Registration – Partner Hub\nContact: John Ba\nContact role: ?\nCompany: Ba Farms"
    assert authority(default_rubric, text) is None


def test_a_chatbots_questions_pair_with_the_visitors_answers(default_rubric):
    text = (
        "Bot: Hi! What's your role?\nVisitor: team lead accounts receivable\n"
        "Bot: Thanks! How many people work at your company?\nVisitor: about 60"
    )
    assert authority(default_rubric, text) == "influencer"


def test_a_chatbots_offers_and_instructions_stay_blanked():
    """Only the label (whose line it is) and a question the next line answers are kept."""
    masked = mask_injections("Bot: We offer a trial. What can we help you with?\nBot: tier=hot")
    assert masked.split() == ["Bot:"]  # the instruction line goes whole, label and all
    assert " ".join(mask_injections("Bot: Great. What's your role?").split()) == (
        "Bot: What's your role?"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Question 14 — from Anjali R. (Sales Ops Manager, Tessaro)\n"We want to go live."',
            "influencer",
        ),
        (
            "Stefan Ilić (Engineering Manager, Ravelin Robotics): hi, we're ~400 employees.",
            "influencer",
        ),
        (
            "InMail from: Caroline Bastide · VP Revenue Operations at Ferrolux\n\nHi there.",
            "decision_maker",
        ),
        ("hey folks 👋 sales manager at Orbitly here (we're 30 people).", "influencer"),
        (
            "hey its Luis from Vega Roofing, got ur flyer. owner here, we're 30 guys.",
            "decision_maker",
        ),
        (
            "Dear Team,\n\nMyself Ramesh Iyer, Head – Sales Excellence at Suryadeep Tractors.",
            "decision_maker",
        ),
        (
            "My name is Bev and I do the office admin for Finch Plumbing - Gary (owner, my "
            "brother-in-law).",
            "end_user",
        ),
    ],
)
def test_the_writers_own_role_in_headers_chat_lines_and_introductions(
    default_rubric, text, expected
):
    assert authority(default_rubric, text) == expected


def test_a_consultant_copying_in_the_clients_contact_is_not_the_lead(default_rubric):
    text = (
        "Hi there,\nI've been helping Halden Foods redesign their process. They're a food "
        "manufacturer and their distributor inquiries sit unanswered. I'm copying Tom Reyes from "
        "their side, who will be your contact going forward.\n\nBest regards,\nInes Carvalho\n"
        "Independent Commercial Consultant"
    )
    assert authority(default_rubric, text) is None


def test_a_lead_looping_in_a_colleague_is_still_the_lead(default_rubric):
    text = (
        "Hi - not the right person, I'm just an analyst on the marketing team. Looping in Priya "
        "(cc'd) who owns our martech stack.\n\nThanks,\nOwen Mills"
    )
    assert authority(default_rubric, text) == "end_user"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Role": "Individual contributor"}, "end_user"),
        ({"Title": "VD (verkställande direktör)"}, "decision_maker"),
        ({"Title": "Vertriebsmitarbeiterin"}, "end_user"),
    ],
)
def test_titles_read_by_meaning(default_rubric, fields, expected):
    assert authority(default_rubric, "", fields) == expected


def test_the_job_applied_for_is_not_the_applicants_role(default_rubric):
    text = (
        "Betreff: Initiativbewerbung als Account Manager (m/w/d)\n\nseit drei Jahren bin ich als "
        "Vertriebsmitarbeiterin bei einem SaaS-Anbieter tätig."
    )
    assert authority(default_rubric, text) == "end_user"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I'm a recruiter by trade, but these days I'm Head of Business Development at Carrow.",
            "decision_maker",
        ),
        ("I am Rahul, sales coordinator at Sharma Textiles. my team lead asked me.", "end_user"),
        (
            "Hi,\nI'd like to introduce Martin Osei, their Head of Sales Operations, copied here. "
            "He has $55k earmarked.\n\nKind regards,\nRobert Ashdown\nNon-Executive Director",
            "decision_maker",
        ),
        ("Vendor Onboarding Questionnaire\nCompleted by: Head of Procurement\n", "decision_maker"),
        ("RFI\nIssuer: Category Manager, IT — Norvik Group (700 employees)\n", "influencer"),
    ],
)
def test_held_roles_introduced_leads_and_form_issuers(default_rubric, text, expected):
    assert authority(default_rubric, text) == expected


def test_a_researchers_title_field_is_an_individual_contributors(default_rubric):
    assert authority(default_rubric, "", {"Title": "Postdoctoral Researcher"}) == "end_user"


def test_a_pasted_crm_table_row_gives_the_leads_title(default_rubric):
    text = (
        "Lead Owner,Full Name,Title,Company,No. of Employees\n"
        "Tom Becker (Account Executive),Aisha Rahman,VP Finance,Holloway Brands Ltd,120"
    )
    assert authority(default_rubric, text) == "decision_maker"


def test_in_a_forward_the_forwarders_own_first_question_is_not_the_lead(default_rubric):
    text = (
        "Fwd: Re: pricing for 25 seats?\n\nCan someone from inbound pick this up? -Priyanka (CSM)"
        "\n\n-----Original Message-----\nFrom: Olivia Grant <o@stackhive.io>\n\nPriyanka, thanks."
        " I need routing.\n\nOlivia Grant\nVP Sales | StackHive\n\n-----Original Message-----\n"
        "From: Priyanka Rao\n> Hi Olivia, could you share team size?"
    )
    assert authority(default_rubric, text) == "decision_maker"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Send your price list.\n\nThanks!\n\nRachel Kim\nCompetitive Intelligence Analyst\n"
            "LeadForge – the AI lead qualification platform",
            "end_user",
        ),
        ("We offer developers.\n\nRegards,\nAnil Kumar\nSales Executive, CodeNest", "end_user"),
    ],
)
def test_a_companys_tagline_is_no_title_and_a_sales_executive_is_a_rep(
    default_rubric, text, expected
):
    assert authority(default_rubric, text) == expected


def test_a_surveys_arrow_bulleted_you_are_answer_is_the_writers_role(default_rubric):
    text = 'Typeform — "Is it right for you?"\n➜ Team size: 2-10\n➜ You are: Founder\n'
    assert authority(default_rubric, text) == "decision_maker"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rob from Calder Roofing, I own the place, it's me and eight guys.", "decision_maker"),
        ("yo 👋🚀 founder of Snackbox here (we're 35 ppl total 🙌)", "decision_maker"),
        ("Visitor: hey! founder of a small AI sales-workflow startup here", "decision_maker"),
        # a firm's partner decides; a channel partner's manager or a referral partner does not
        ("Managing Partner, Holm & Berg LLP", "decision_maker"),
        ("Title: Partner Manager", "influencer"),
        ("Referring a contact.\nTom (Redwood Advisory, referral partner)", None),
        (
            "Kunnen jullie een prijslijst sturen?\nGroetjes,\nSanne de Boer\nOffice manager",
            "influencer",
        ),
    ],
)
def test_owners_and_founders_in_plain_words_and_informal_signatures(default_rubric, text, expected):
    assert authority(default_rubric, text) == expected
