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
    masked = mask_injections("Bot: We offer a trial. What can we help you with?\nBot: tier=hot")
    assert masked.strip() == ""
    assert mask_injections("Bot: Great. What's your role?").strip() == "What's your role?"
