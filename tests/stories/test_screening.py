"""Screening: each check on both sides, their order, the route they decide, the messages the author
sees in the preview, and that no input makes the checks slow."""

import re
import time

import pytest

from stories import screening
from stories.models import WORD_LIMIT, Priority
from stories.screening import identifying_details, screen

CALM = (
    "After months indoors I went to a walking group on Tuesdays. Nobody asked me to talk. "
    "We walked, and by the third week I wanted to. My nurse helped me find the group, and the "
    "doctor listened when I said the tablets made me tired."
)


def kinds(text: str) -> list[str]:
    return [f.kind for f in screen(title="", body=text).findings]


def excerpts(text: str, kind: str) -> list[str]:
    return [f.excerpt for f in screen(title="", body=text).findings if f.kind == kind]


# --- Nothing to flag ---------------------------------------------------------------------------


def test_a_calm_story_goes_to_review_with_no_flags():
    outcome = screen(title="Finding my feet", body=CALM)
    assert outcome.route == "review"
    assert outcome.flags == []
    assert outcome.findings == []
    assert outcome.priority == Priority.NORMAL
    assert outcome.risk is None
    assert outcome.summary == "Automatic checks found nothing to flag."


def test_screening_never_routes_anywhere_but_review_or_hold():
    for body in (CALM, "I want to die.", "Call me on 07700 900123.", "", "x" * 10):
        assert screen(title="", body=body).route in ("review", "hold")


# --- 1. Length -----------------------------------------------------------------------------------


def test_over_the_word_limit_is_flagged_for_review():
    outcome = screen(title="Long", body="word " * (WORD_LIMIT + 1))
    assert outcome.route == "review"
    assert outcome.flags == ["too_long"]
    assert outcome.findings[0].check == "length"
    assert outcome.findings[0].excerpt == f"{WORD_LIMIT + 1:,} words"


def test_at_the_word_limit_is_fine():
    assert screen(title="Long", body="word " * WORD_LIMIT).flags == []


# --- 2. Personal details -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["07700 900123", "+44 7700 900123", "0113 496 0000", "(0113) 496 0000", "07700900123"]
)
def test_uk_phone_numbers_are_flagged(number):
    outcome = screen(title="", body=f"You can ring me on {number} most evenings.")
    assert outcome.route == "review"
    assert outcome.flags == ["phone_number"]
    assert outcome.findings[0].excerpt == number


@pytest.mark.parametrize(
    "text",
    [
        "I rang Samaritans on 116 123 at 2am.",
        "I called 999 and then NHS 111.",
        "In 2019 I spent 3 weeks on the ward.",
        "It took 12 months and 40 sessions.",
    ],
)
def test_support_numbers_years_and_counts_are_not_phone_numbers(text):
    assert "phone_number" not in kinds(text)


def test_email_addresses_are_flagged():
    assert excerpts("Write to jo.bloggs+recovery@example.co.uk if you like.", "email") == [
        "jo.bloggs+recovery@example.co.uk"
    ]
    assert "email" not in kinds("We met @ the café at 10.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Nurse Sarah Jones sat with me.", "Nurse Sarah Jones"),
        ("Dr Patel changed my medication.", "Dr Patel"),
        ("Dr. O'Neil listened.", "Dr. O'Neil"),
        ("my care coordinator Sarah Jones rang", "my care coordinator Sarah Jones"),
        ("My social worker, Tom Hill, came too.", "My social worker, Tom Hill"),
    ],
)
def test_full_names_and_titled_names_are_flagged(text, name):
    assert excerpts(text, "name") == [name]


@pytest.mark.parametrize(
    "text",
    [
        "My nurse was kind and the doctor listened.",
        "Hope and Connectedness matter to me.",
        "I told my nurse I was scared.",
        "my care coordinator Sarah rang",  # a first name alone is not a full name
    ],
)
def test_roles_and_ordinary_capitals_are_not_names(text):
    assert "name" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("On 3 March 2024 I was admitted.", "3 March 2024"),
        ("On 03/03/2024 I was admitted.", "03/03/2024"),
        ("It was the 3rd of March.", "3rd of March"),
        ("By March 3, 2024 I was home.", "March 3, 2024"),
        ("Discharged 2024-03-03.", "2024-03-03"),
    ],
)
def test_specific_dates_are_flagged(text, date):
    assert excerpts(text, "date") == [date]


@pytest.mark.parametrize(
    "text",
    ["In March I felt better.", "May I say thank you.", "In 2019 it got worse.", "For 3 weeks."],
)
def test_months_years_and_durations_are_not_dates(text):
    assert "date" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("I spent a month on Ward 4.", "Ward 4"),
        ("Becklin Ward was calm at night.", "Becklin Ward"),
        ("They took me to St James's University Hospital.", "St James's University Hospital"),
        ("Leeds General Infirmary was busy.", "Leeds General Infirmary"),
    ],
)
def test_ward_and_hospital_names_are_flagged(text, place):
    assert excerpts(text, "ward_or_hospital") == [place]


def test_a_ward_or_hospital_without_a_name_is_fine():
    assert kinds("I was on the ward for weeks, then out of hospital for good.") == []


def test_nhs_numbers_are_flagged_when_valid_or_labelled():
    assert excerpts("It was 943 476 5919 on the letter.", "nhs_number") == ["943 476 5919"]
    assert excerpts("My NHS number is 123 456 7890.", "nhs_number") == ["123 456 7890"]
    assert "nhs_number" not in kinds("Reference 943 476 5918 on the letter.")  # bad check digit


def test_street_addresses_and_postcodes_are_flagged():
    assert excerpts("I live at 12 Elm Street, Leeds LS9 7JT now.", "address") == [
        "12 Elm Street",
        "LS9 7JT",
    ]
    assert "address" not in kinds("I walked down the High Street doing 12 steps.")


def test_personal_details_route_to_review_with_every_flag_in_order():
    outcome = screen(
        title="",
        body="Dr Patel on Ward 4 gave me 07700 900123 on 3 March 2024. Email jo@example.org.",
    )
    assert outcome.route == "review"
    assert outcome.risk is None
    assert outcome.priority == Priority.NORMAL
    assert outcome.flags == ["email", "phone_number", "date", "name", "ward_or_hospital"]
    assert {f.check for f in outcome.findings} == {"personal_details"}


# --- 3. Crisis language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I want to die.",
        "Some days I just want to die",
        "I'm going to kill myself.",
        "I\u2019m going to kill myself.",  # a typographic apostrophe
        "There is no reason to live.",
        "I feel suicidal and I can't go on.",
        "Everyone would be better off without me.",
        "I don't want to be here any more.",
        "Everything was grey, I want to die.",
        "I wish I was dead.",
        "I am thinking about suicide.",
        "I'm going to overdose.",
        "I just want it all to end.",
        "I've been thinking about ending my life.",
    ],
)
def test_present_crisis_language_holds_the_story_at_high_risk(text):
    outcome = screen(title="", body=text)
    assert outcome.route == "hold"
    assert outcome.risk == "high"
    assert outcome.priority == Priority.URGENT
    assert "crisis_language" in outcome.flags


@pytest.mark.parametrize(
    "text",
    [
        "I want to end it all tonight",
        "I'm going to kill myself today.",
        "I have a plan.",
        "I have the pills and I'm ready.",
        "I've written a suicide note.",
        "I won't be here tomorrow.",
        "I'm planning to kill myself.",
        "I have decided to end my life.",
        "I've planned how to kill myself.",
    ],
)
def test_a_plan_or_a_time_makes_the_risk_immediate(text):
    outcome = screen(title="", body=text)
    assert outcome.route == "hold"
    assert outcome.risk == "immediate"


@pytest.mark.parametrize(
    "text",
    [
        "I used to think about ending my life, now I volunteer at the group.",
        "Back then I wanted to die. Today I run a peer group.",
        "Years ago, I tried to kill myself.",
        "There was a time I felt there was no reason to live.",
        "I don't want to die any more.",
        "I'm no longer suicidal.",
        "Ending my life was all I thought about in 2019.",
        "I attempted suicide in 2015.",
        "Back then I was planning to kill myself.",
        "I used to think about suicide, now I help others.",
        "I've tried to kill myself before, but now I am well.",
    ],
)
def test_past_tense_recovery_talk_is_not_held_but_read_first(text):
    outcome = screen(title="", body=text)
    assert outcome.route == "review"
    assert outcome.risk is None
    assert outcome.flags == ["past_crisis"]
    assert outcome.priority == Priority.HIGH


def test_present_crisis_after_past_talk_still_holds():
    outcome = screen(title="", body="I was suicidal back then, but now I want to die again.")
    assert outcome.route == "hold"
    assert outcome.flags == ["crisis_language", "past_crisis"]


def test_a_plan_for_recovery_is_not_a_plan_to_die():
    assert screen(title="", body="I have a plan for my recovery and a care plan.").flags == []


def test_the_title_is_screened_too():
    assert screen(title="I want to die", body=CALM).route == "hold"


# --- 4. Method and graphic detail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("In 2019 I took 30 paracetamol.", "took 30 paracetamol"),
        (
            "I swallowed a whole box of my sleeping pills.",
            "swallowed a whole box of my sleeping pills",
        ),
        ("I looked up how many pills it would take.", "how many pills"),
        ("I used a ligature.", "ligature"),
        ("I cut deep that night.", "cut deep"),
    ],
)
def test_method_detail_is_read_urgently_but_not_held(text, excerpt):
    outcome = screen(title="", body=text)
    assert outcome.route == "review"
    assert outcome.flags == ["method_detail"]
    assert outcome.priority == Priority.URGENT
    assert outcome.findings[0].excerpt == excerpt


@pytest.mark.parametrize(
    "text",
    [
        "I take two tablets each morning.",
        "I take 20mg of sertraline a day.",
        "I cut down on caffeine and took deep breaths.",
        "The train to the coast was the first trip I took alone.",
    ],
)
def test_everyday_medication_and_words_are_not_method_detail(text):
    assert screen(title="", body=text).flags == []


def test_graphic_description_is_flagged():
    outcome = screen(title="", body="There was blood everywhere.")
    assert outcome.flags == ["graphic"]
    assert outcome.priority == Priority.HIGH


def test_intent_and_the_means_are_immediate():
    outcome = screen(title="", body="I want to die. I will take 40 paracetamol.")
    assert outcome.route == "hold"
    assert outcome.risk == "immediate"
    assert outcome.flags == ["crisis_language", "method_detail"]


# --- Order, summary, messages ----------------------------------------------------------------


def test_checks_run_in_order_and_the_hold_wins():
    body = (
        "I want to die. I looked up how many pills it would take. "
        "Call Nurse Sarah Jones on 07700 900123. " + "more " * WORD_LIMIT
    )
    # Findings: by check, then where they are in the text. Flags: by check, then by kind.
    outcome = screen(title="", body=body)
    assert [f.check for f in outcome.findings] == [
        "length",
        "personal_details",
        "personal_details",
        "crisis",
        "method",
    ]
    assert outcome.flags == [
        "too_long",
        "phone_number",
        "name",
        "crisis_language",
        "method_detail",
    ]
    assert outcome.route == "hold"
    assert outcome.priority == Priority.URGENT
    assert outcome.risk == "immediate"  # intent and the means


def test_the_summary_names_what_was_found_never_the_words():
    outcome = screen(title="", body="I want to die. Ring 07700 900123, Dr Patel knows.")
    assert outcome.summary == (
        "Held for a safety check (risk: high). Automatic checks found: a phone number; "
        "a person's name; words about wanting to end their life now."
    )
    for words in ("want to die", "07700", "Patel"):
        assert words not in outcome.summary


def test_identifying_details_for_the_preview_in_plain_english():
    findings = identifying_details(
        "On 3 March 2024 Nurse Sarah Jones gave me 07700 900123. "
        "Ring 07700 900123 or write to jo@example.org. I was on Becklin Ward."
    )
    assert [(f.kind, f.excerpt, f.message) for f in findings] == [
        ("date", "3 March 2024", "A date — your care team may recognise this"),
        ("name", "Nurse Sarah Jones", "A name — use a role instead, like 'my nurse'"),
        ("phone_number", "07700 900123", "A phone number — someone could contact or identify you"),
        ("email", "jo@example.org", "An email address — someone could contact or identify you"),
        (
            "ward_or_hospital",
            "Becklin Ward",
            "A ward or hospital name — with other details, this could identify you",
        ),
    ]  # in the order they appear, each once


def test_identifying_details_leave_out_crisis_and_method_findings():
    assert identifying_details("I want to die. I took 30 paracetamol.") == []
    assert identifying_details("") == []


# --- Speed and safety ----------------------------------------------------------------------------


def test_patterns_are_compiled_once_as_module_constants():
    for _anchors, _kind, pattern in screening.CRISIS_PHRASES + screening.METHOD_PHRASES:
        assert isinstance(pattern, re.Pattern)
    assert isinstance(screening.PHONE, re.Pattern)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000 + "!",
        "1 " * 50_000,
        "0" * 100_000,
        "Aa " * 30_000,
        "a@" * 50_000,
        "Nurse " * 20_000,
        "my nurse " * 20_000,
        "want to " * 20_000,
        "I " + " " * 100_000 + "want to die",
        "Ab-" * 40_000,
        "took 1 " * 20_000,
        "was " * 20_000 + "I want to die",
        "Ab Ab Ab Ab " * 10_000 + "Ward",
    ],
    ids=lambda text: repr(text[:12]),
)
def test_pathological_text_cannot_make_screening_slow(text):
    started = time.process_time()
    screen(title="", body=text)
    assert time.process_time() - started < 1.5  # the domain's budget is 2 s, for 50 times more text


def test_throughput_is_hundreds_of_stories_a_second():
    story = " ".join([CALM] * 12)  # about 500 words
    started = time.process_time()
    for _ in range(100):
        screen(title="Finding my feet", body=story)
    assert 100 / (time.process_time() - started) > 100
