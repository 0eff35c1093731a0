"""Safeguarding cases: opening one alerts every moderator at once (no story text, no author), a
duty moderator, idempotent per story, the steps and their history, escalation by two
moderators, overdue re-alerts once per period; the pages and their refusals; the author's
private support; and a held story from the author's submission to the moderators' inboxes."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import AuditEntry
from portal.signposting import support_lines
from stories import domain, safeguarding
from stories.models import ACKNOWLEDGE_WITHIN, CaseEntry, SafeguardingCase, State
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator, queued_story

pytestmark = pytest.mark.django_db

Risk = SafeguardingCase.Risk
Source = SafeguardingCase.Source
Status = SafeguardingCase.Status

SECRET_BODY = "Tonight the lighthouse keeper counts the gulls again."
SECRET_TITLE = "The lighthouse keeper"


@pytest.fixture
def team():
    """Two moderators with MFA, one without (still alerted), one who left, and a reader."""
    first = moderator(email="first@mods.example")
    second = moderator(email="second@mods.example")
    no_mfa = moderator(mfa=False, email="nomfa@mods.example")
    moderator(email="gone@mods.example", is_active=False)
    UserFactory(email="reader@example.org")
    return first, second, no_mfa


@pytest.fixture
def story():
    author = UserFactory(email="author-private@example.org")
    author.profile.display_name = "Real Name Of Author"
    author.profile.save()
    return queued_story(author=author, title=SECRET_TITLE, body=SECRET_BODY)


def open_case(story, capture, *, risk=Risk.HIGH, source=Source.SCREENING, by=None, summary=""):
    with capture(execute=True):
        return safeguarding.case_open(
            story=story,
            person=story.author,
            source=source,
            risk=risk,
            summary=summary or "Automatic checks found: words about wanting to end their life now.",
            by=by,
        )


def actions(case) -> list[str]:
    return list(CaseEntry.objects.filter(case=case).values_list("action", flat=True))


def audited(case) -> list[str]:
    return sorted(
        AuditEntry.objects.filter(data__case=str(case.pk)).values_list("action", flat=True)
    )


# --- Opening a case --------------------------------------------------------------------------


def test_opening_a_case_emails_every_active_moderator_at_once_with_no_story_or_author(
    team, story, django_capture_on_commit_callbacks
):
    before = timezone.now()
    case = open_case(story, django_capture_on_commit_callbacks)

    assert case.status == Status.OPEN and case.risk == Risk.HIGH
    assert case.person == story.author and case.story == story
    deadline = before + ACKNOWLEDGE_WITHIN["high"]
    assert deadline <= case.acknowledge_by <= timezone.now() + ACKNOWLEDGE_WITHIN["high"]
    assert actions(case) == ["opened"]
    assert audited(case) == ["stories.safeguarding.opened"]

    # One email each, to exactly the active moderators (with or without MFA), at once.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["first@mods.example", "second@mods.example", "nomfa@mods.example"]
    )
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    link = f"{settings.SITE_URL}/moderation/safeguarding/{case.pk}/"
    for message in mail.outbox:
        assert "high risk" in message.subject
        assert link in message.body
        assert "Risk: High" in message.body
        assert "Acknowledge by:" in message.body
        text = message.subject + message.body
        for secret in (
            SECRET_TITLE,
            "lighthouse",
            "author-private@example.org",
            "Real Name Of Author",
            story.author.profile.pseudonym,
            "wanting to end",  # the summary stays on the case page
        ):
            assert secret not in text


def test_the_duty_moderator_hears_it_is_them(team, story, django_capture_on_commit_callbacks):
    case = open_case(story, django_capture_on_commit_callbacks)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    duty_email = case.duty_moderator.email
    assert "You are the duty moderator for this case." in bodies.pop(duty_email)
    assert all("You are the duty moderator" not in body for body in bodies.values())


def test_the_alert_is_sent_directly_after_commit_not_before(team, story):
    # Without the commit (the test's transaction is never committed), nothing is sent yet.
    safeguarding.case_open(story=story, source=Source.SCREENING, risk=Risk.HIGH, summary="")
    assert mail.outbox == []


def test_the_duty_moderator_has_mfa_and_the_fewest_open_cases(
    team, django_capture_on_commit_callbacks
):
    first, second, _no_mfa = team
    assert safeguarding.duty_moderator_pick() == first  # a tie: the earliest account
    one = open_case(queued_story(), django_capture_on_commit_callbacks)
    assert one.duty_moderator == first
    two = open_case(queued_story(), django_capture_on_commit_callbacks)
    assert two.duty_moderator == second
    three = open_case(queued_story(), django_capture_on_commit_callbacks)
    assert three.duty_moderator == first
    safeguarding.case_close(case=one, by=first, note="Spoke to them; they are safe.")
    safeguarding.case_close(case=three, by=first, note="Same person; safe.")
    assert safeguarding.duty_moderator_pick() == first  # closed cases do not count


def test_nobody_on_duty_when_no_moderator_has_mfa(story, django_capture_on_commit_callbacks):
    moderator(mfa=False, email="only@mods.example")
    case = open_case(story, django_capture_on_commit_callbacks)
    assert case.duty_moderator is None
    assert "No moderator with two-step verification" in case.entries.get().note
    assert [m.to for m in mail.outbox] == [["only@mods.example"]]
    assert "Nobody could be put on duty" in mail.outbox[0].body


def test_opening_is_idempotent_per_story(team, story, django_capture_on_commit_callbacks):
    case = open_case(story, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    again = open_case(story, django_capture_on_commit_callbacks, source=Source.REPORT)
    assert again.pk == case.pk
    assert SafeguardingCase.objects.filter(story=story).count() == 1
    assert actions(case) == ["opened"]
    assert len(mail.outbox) == sent  # no second alert for the same concern


def test_a_graver_concern_raises_the_risk_and_the_deadline_and_alerts_again(
    team, story, django_capture_on_commit_callbacks
):
    case = open_case(story, django_capture_on_commit_callbacks, risk=Risk.MEDIUM)
    mail.outbox.clear()
    again = open_case(story, django_capture_on_commit_callbacks, risk=Risk.IMMEDIATE)
    assert again.pk == case.pk
    again.refresh_from_db()
    assert again.risk == Risk.IMMEDIATE
    assert again.acknowledge_by <= timezone.now() + ACKNOWLEDGE_WITHIN["immediate"]
    assert actions(case) == ["opened", "risk_raised"]
    assert len(mail.outbox) == 3 and "now immediate risk" in mail.outbox[0].subject


def test_a_closed_case_does_not_stop_a_new_one(team, story, django_capture_on_commit_callbacks):
    first, _second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    safeguarding.case_close(case=case, by=first, note="They are safe and have support.")
    new = open_case(story, django_capture_on_commit_callbacks)
    assert new.pk != case.pk and new.status == Status.OPEN


def test_a_moderator_opening_a_case_needs_the_power(team, story):
    _first, _second, no_mfa = team
    for person in (UserFactory(), no_mfa):
        with pytest.raises(PermissionDenied):
            safeguarding.case_open(
                story=story, source=Source.MODERATOR, risk=Risk.HIGH, summary="", by=person
            )
    assert not SafeguardingCase.objects.exists()


def test_opening_refuses_an_unknown_risk(story):
    with pytest.raises(ValidationError) as error:
        safeguarding.case_open(story=story, source=Source.MODERATOR, risk="huge", summary="")
    assert "risk" in error.value.message_dict


# --- The steps -------------------------------------------------------------------------------


def test_every_step_refuses_non_moderators_and_moderators_without_mfa(
    team, story, django_capture_on_commit_callbacks
):
    _first, _second, no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    steps = [
        lambda by: safeguarding.case_acknowledge(case=case, by=by),
        lambda by: safeguarding.case_contact_author(case=case, by=by, note="Rang them."),
        lambda by: safeguarding.case_request_escalation(case=case, by=by, reason="Crisis team."),
        lambda by: safeguarding.case_confirm_escalation(case=case, by=by),
        lambda by: safeguarding.case_close(case=case, by=by, note="Done."),
    ]
    for person in (UserFactory(), no_mfa, story.author):
        for step in steps:
            with pytest.raises(PermissionDenied):
                step(person)
    assert actions(case) == ["opened"]


def test_acknowledging_takes_the_case_on_once(team, story, django_capture_on_commit_callbacks):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    case = safeguarding.case_acknowledge(case=case, by=second)
    assert case.status == Status.ACKNOWLEDGED and case.acknowledged_at is not None
    assert case.duty_moderator == second
    assert not case.is_overdue
    with pytest.raises(ValidationError, match="already been acknowledged"):
        safeguarding.case_acknowledge(case=case, by=first)
    assert actions(case) == ["opened", "acknowledged"]
    entry = case.entries.get(action="acknowledged")
    assert entry.actor == second
    assert audited(case) == ["stories.safeguarding.acknowledged", "stories.safeguarding.opened"]
    audit = AuditEntry.objects.get(action="stories.safeguarding.acknowledged")
    assert audit.actor == second and audit.data == {"case": str(case.pk)}


def test_contacting_the_author_needs_a_note(team, story, django_capture_on_commit_callbacks):
    first, _second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as error:
        safeguarding.case_contact_author(case=case, by=first, note="   ")
    assert error.value.message_dict == {
        "note": ["Say how you contacted the author and what you said."]
    }
    case = safeguarding.case_contact_author(
        case=case, by=first, note="Emailed them the support lines."
    )
    assert case.status == Status.CONTACTED_AUTHOR and case.acknowledged_at is not None
    assert case.entries.get(action="contacted_author").note == "Emailed them the support lines."
    assert "stories.safeguarding.contacted_author" in audited(case)


def test_escalation_needs_a_reason_and_a_second_moderator(
    team, story, django_capture_on_commit_callbacks
):
    first, second, no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as error:
        safeguarding.case_request_escalation(case=case, by=first, reason="")
    assert list(error.value.message_dict) == ["reason"]
    with pytest.raises(ValidationError, match="Nobody has asked"):
        safeguarding.case_confirm_escalation(case=case, by=second)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = safeguarding.case_request_escalation(
            case=case, by=first, reason="They said they have a plan tonight: their crisis team."
        )
    assert case.status == Status.ACKNOWLEDGED and case.escalated_at is None
    # The others are asked to confirm; the requester is not emailed.
    assert sorted(m.to[0] for m in mail.outbox) == [no_mfa.email, second.email]
    assert "second moderator" in mail.outbox[0].subject
    assert "crisis team" not in mail.outbox[0].body

    with pytest.raises(ValidationError) as error:
        safeguarding.case_confirm_escalation(case=case, by=first)
    assert error.value.messages == [
        "You asked for this escalation, so a different moderator must confirm it."
    ]
    with pytest.raises(ValidationError, match="already been asked for"):
        safeguarding.case_request_escalation(case=case, by=second, reason="Again.")

    case = safeguarding.case_confirm_escalation(case=case, by=second)
    assert case.status == Status.ESCALATED
    assert case.escalation_requested_by == first and case.escalation_confirmed_by == second
    assert case.escalated_at is not None
    assert actions(case) == ["opened", "escalation_requested", "escalation_confirmed"]
    with pytest.raises(ValidationError, match="already been escalated"):
        safeguarding.case_confirm_escalation(case=case, by=moderator())
    assert [a for a in audited(case) if "escalation" in a] == [
        "stories.safeguarding.escalation_confirmed",
        "stories.safeguarding.escalation_requested",
    ]


def test_closing_needs_a_note_and_ends_the_case(team, story, django_capture_on_commit_callbacks):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as error:
        safeguarding.case_close(case=case, by=first, note="")
    assert list(error.value.message_dict) == ["note"]
    case = safeguarding.case_close(case=case, by=first, note="They are safe with their family.")
    assert case.status == Status.CLOSED and case.closed_at is not None
    for step in (
        lambda: safeguarding.case_acknowledge(case=case, by=second),
        lambda: safeguarding.case_contact_author(case=case, by=second, note="x"),
        lambda: safeguarding.case_request_escalation(case=case, by=second, reason="x"),
        lambda: safeguarding.case_close(case=case, by=second, note="x"),
    ):
        with pytest.raises(ValidationError, match=r"This case is closed\."):
            step()
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW  # the story keeps its own state


def test_case_entries_are_append_only_history(team, story, django_capture_on_commit_callbacks):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    safeguarding.case_acknowledge(case=case, by=first)
    safeguarding.case_contact_author(case=case, by=first, note="Rang them.")
    safeguarding.case_request_escalation(case=case, by=first, reason="GP, today.")
    safeguarding.case_confirm_escalation(case=case, by=second)
    safeguarding.case_close(case=case, by=second, note="GP saw them.")
    assert actions(case) == [
        "opened",
        "acknowledged",
        "contacted_author",
        "escalation_requested",
        "escalation_confirmed",
        "closed",
    ]
    assert len(audited(case)) == 6


# --- Overdue cases -------------------------------------------------------------------------


def test_an_overdue_case_is_re_alerted_once_per_period(
    team, story, django_capture_on_commit_callbacks
):
    first, _second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)  # high: 4 hours
    quiet = open_case(queued_story(), django_capture_on_commit_callbacks)
    safeguarding.case_acknowledge(case=quiet, by=first)
    mail.outbox.clear()

    assert safeguarding.alert_overdue_cases() == 0  # nothing is due yet
    later = case.acknowledge_by + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert safeguarding.alert_overdue_cases(now=later) == 1
    assert len(mail.outbox) == 3
    assert all("not acknowledged" in m.subject for m in mail.outbox)
    assert all("has not been acknowledged in time" in m.body for m in mail.outbox)
    assert actions(case).count("overdue_alert") == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert safeguarding.alert_overdue_cases(now=later + timedelta(minutes=30)) == 0
    assert mail.outbox == []  # a second run in the same period sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        next_period = case.acknowledge_by + ACKNOWLEDGE_WITHIN["high"] + timedelta(minutes=1)
        assert safeguarding.alert_overdue_cases(now=next_period) == 1
    assert len(mail.outbox) == 3
    assert actions(case).count("overdue_alert") == 2

    safeguarding.case_acknowledge(case=case, by=first)
    assert safeguarding.alert_overdue_cases(now=next_period + timedelta(days=2)) == 0


def test_the_beat_task_runs_the_overdue_check(team, story, django_capture_on_commit_callbacks):
    from stories.tasks import task_alert_overdue_cases

    case = open_case(story, django_capture_on_commit_callbacks)
    SafeguardingCase.objects.filter(pk=case.pk).update(
        acknowledge_by=timezone.now() - timedelta(minutes=1)
    )
    assert task_alert_overdue_cases() == 1
    assert task_alert_overdue_cases() == 0


# --- Pages -----------------------------------------------------------------------------------

LIST = "/moderation/safeguarding/"


def case_url(case, action=""):
    return f"/moderation/safeguarding/{case.pk}/{action + '/' if action else ''}"


def test_the_pages_refuse_everyone_but_moderators_with_mfa(
    client, team, story, django_capture_on_commit_callbacks
):
    _first, _second, no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    pages = [LIST, case_url(case)]
    posts = [
        case_url(case, "acknowledge"),
        case_url(case, "contact-author"),
        case_url(case, "escalate"),
        case_url(case, "confirm-escalation"),
        case_url(case, "close"),
    ]
    data = {"contact-note": "x", "escalate-reason": "x", "close-note": "x"}

    assert client.get(LIST)["Location"].startswith("/accounts/login/")
    assert client.post(posts[0])["Location"].startswith("/accounts/login/")

    for person in (UserFactory(), story.author):
        client.force_login(person)
        assert [client.get(url).status_code for url in pages] == [403, 403]
        assert [client.post(url, data).status_code for url in posts] == [403] * 5

    client.force_login(no_mfa)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    assert all(client.post(url, data).status_code == 302 for url in posts)

    case.refresh_from_db()
    assert case.status == Status.OPEN and actions(case) == ["opened"]


def test_the_list_shows_open_cases_overdue_first_then_by_deadline(
    client, team, django_capture_on_commit_callbacks
):
    first, _second, _no_mfa = team
    first.profile.display_name = "Sam on duty"
    first.profile.save()
    low = open_case(queued_story(title="Low one"), django_capture_on_commit_callbacks, risk="low")
    soon = open_case(
        queued_story(title="Immediate one"), django_capture_on_commit_callbacks, risk="immediate"
    )
    late = open_case(queued_story(title="Late one"), django_capture_on_commit_callbacks)
    SafeguardingCase.objects.filter(pk=late.pk).update(
        acknowledge_by=timezone.now() - timedelta(hours=1)
    )
    closed = open_case(queued_story(title="Closed one"), django_capture_on_commit_callbacks)
    safeguarding.case_close(case=closed, by=first, note="Safe.")

    client.force_login(first)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    order = [html.index(title) for title in ("Late one", "Immediate one", "Low one")]
    assert order == sorted(order)
    assert "Closed one" not in html
    assert "Overdue" in html
    assert "Sam on duty" in html  # duty moderators by display name (or pseudonym)
    for user in (low.story.author, soon.story.author, late.story.author):
        assert user.email not in html

    closed_page = client.get(LIST + "?show=closed").content.decode()
    assert "Closed one" in closed_page and "Late one" not in closed_page


def test_the_list_query_count_is_fixed(
    client, team, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    first, _second, _no_mfa = team
    open_case(queued_story(), django_capture_on_commit_callbacks)
    client.force_login(first)
    client.get(LIST)  # warm the support lines cache
    with django_assert_max_num_queries(20) as few:
        client.get(LIST)
    for _ in range(6):
        open_case(queued_story(), django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(few)):
        assert client.get(LIST).status_code == 200


def test_the_case_page_shows_the_case_its_history_and_its_story(
    client, team, story, django_capture_on_commit_callbacks
):
    _first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    client.force_login(second)
    response = client.get(case_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET_TITLE in html and SECRET_BODY in html
    assert story.get_state_display() in html
    assert f'href="/moderation/{story.pk}/"' in html
    assert "Automatic checks found: words about wanting" in html  # the summary
    assert "Opened" in html and "Joined Up (automatic)" in html
    assert f"Writes as {story.pseudonym}" in html
    assert "author-private@example.org" not in html and "Real Name Of Author" not in html
    for form in ("acknowledge-form", "contact-form", "escalate-form", "close-form"):
        assert f'id="{form}"' in html
    assert "confirm-escalation" not in html


def test_confirming_an_escalation_is_shown_only_to_other_moderators(
    client, team, story, django_capture_on_commit_callbacks
):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    safeguarding.case_request_escalation(case=case, by=first, reason="Crisis team now.")
    client.force_login(first)
    mine = client.get(case_url(case)).content.decode()
    assert 'id="confirm-escalation"' not in mine
    assert "A different moderator must confirm it" in mine
    client.force_login(second)
    theirs = client.get(case_url(case)).content.decode()
    assert 'id="confirm-escalation"' in theirs and "Crisis team now." in theirs


def test_the_case_page_query_count_is_fixed(
    client, team, story, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    client.force_login(first)
    client.get(case_url(case))
    with django_assert_max_num_queries(20) as few:
        client.get(case_url(case))
    safeguarding.case_acknowledge(case=case, by=second)
    for n in range(4):
        safeguarding.case_contact_author(case=case, by=first, note=f"Call {n}.")
    safeguarding.case_request_escalation(case=case, by=second, reason="GP.")
    with django_assert_max_num_queries(len(few)):
        assert client.get(case_url(case)).status_code == 200


def test_the_steps_through_the_pages(client, team, story, django_capture_on_commit_callbacks):
    first, second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    client.force_login(first)

    response = client.post(case_url(case, "acknowledge"))
    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED and case.duty_moderator == first

    again = client.post(case_url(case, "acknowledge"))
    assert again.status_code == 400
    assert "This case has already been acknowledged." in again.content.decode()

    bad = client.post(case_url(case, "contact-author"), {"contact-note": " "})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "<title>Error: " in html
    assert "Say how you contacted the author and what you said." in html

    client.post(case_url(case, "escalate"), {"escalate-reason": "Crisis team, tonight."})
    same = client.post(case_url(case, "confirm-escalation"))
    assert same.status_code == 400
    assert "a different moderator must confirm it" in same.content.decode()
    client.force_login(second)
    assert client.post(case_url(case, "confirm-escalation")).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ESCALATED

    typed = "Their crisis team visited; they are safe."
    client.post(case_url(case, "close"), {"close-note": ""})
    assert client.post(case_url(case, "close"), {"close-note": typed}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.entries.get(action="closed").note == typed


def test_bad_input_keeps_what_was_typed(client, team, story, django_capture_on_commit_callbacks):
    first, _second, _no_mfa = team
    case = open_case(story, django_capture_on_commit_callbacks)
    client.force_login(first)
    response = client.post(case_url(case, "close"), {"close-note": "x" * 5000})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Keep it under 4,000 characters." in html
    assert "x" * 5000 in html


def test_an_unknown_case_is_a_404(client, team):
    client.force_login(team[0])
    assert (
        client.get("/moderation/safeguarding/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )


# --- The author's private support ---------------------------------------------------------------


def test_the_author_sees_warm_words_and_the_support_lines():
    html = render_to_string(
        "stories/includes/support_for_author.html", {"support_lines": support_lines()}
    )
    text = re.sub(r"\s+", " ", html)
    assert "Thank you for trusting us with this" in text
    assert "A person will read your story" in text
    for line in ("Samaritans", "116 123", "SHOUT", "85258", "111", "999"):
        assert line in text
    assert "Monday to Friday, 9am to 5pm" in text and "not a crisis service" in text


# --- From the author's submission to the moderators' inboxes --------------------------------


def test_a_story_in_crisis_is_held_with_one_case_and_one_alert_to_each_moderator(
    team, django_capture_on_commit_callbacks
):
    story = StoryFactory(title="Tonight", body="I want to end it all tonight.")
    with django_capture_on_commit_callbacks(execute=True):
        story = domain.story_submit(story=story, by=story.author, consent_public=True)
    story.refresh_from_db()
    assert story.state == State.HELD_SAFEGUARDING
    case = SafeguardingCase.objects.get(story=story)
    assert case.status == Status.OPEN
    assert case.risk == Risk.IMMEDIATE
    assert case.source == Source.SCREENING
    alerts = [m for m in mail.outbox if "Safeguarding case opened" in m.subject]
    assert sorted(m.to[0] for m in alerts) == sorted(
        ["first@mods.example", "second@mods.example", "nomfa@mods.example"]
    )
    for message in alerts:
        assert "end it all" not in message.body and story.author.email not in message.body
