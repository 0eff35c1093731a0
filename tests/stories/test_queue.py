"""The moderation queue at /moderation/: who may see it, filters and order, claims, each action's
effect, refused actions (400, message, nothing lost), bulk spam, the high-risk count, responses
waiting, and fixed query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from stories import domain
from stories.models import (
    REVIEW_TARGET,
    ContentNote,
    Decision,
    ModeratorNote,
    Priority,
    Reason,
    Report,
    Response,
    SafeguardingCase,
    State,
    Story,
)
from tests.factories.accounts import OrganisationFactory, UserFactory, give_mfa
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story
from tests.services.html import text

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/"


def story_url(story) -> str:
    return reverse("moderation:story", args=[story.pk])


def action_url(name, story) -> str:
    return reverse(f"moderation:{name}", args=[story.pk])


def named_moderator(name="Sam from the team", **fields):
    user = moderator(**fields)
    Profile.objects.filter(user=user).update(display_name=name)
    user.refresh_from_db()
    return user


@pytest.fixture
def mod(client):
    user = named_moderator("Alex Moderator")
    client.force_login(user)
    return user


def held_story(**fields):
    fields.setdefault("queued_at", timezone.now())
    fields.setdefault("consent_public_at", timezone.now())
    return StoryFactory(state=State.HELD_SAFEGUARDING, **fields)


def claimed(story, by):
    return domain.story_claim(story=story, by=by)


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def rows(html: str) -> list[str]:
    """The stories' ids in the queue table, in order."""
    return re.findall(r'<tr class="nhsuk-table__row" id="story-([0-9a-f-]+)"', html)


# --- Who may see it ------------------------------------------------------------------------------


def test_a_visitor_is_asked_to_log_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/moderation/")


def test_a_member_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(QUEUE).status_code == 403
    story = queued_story()
    assert client.get(story_url(story)).status_code == 403
    assert client.post(action_url("story_claim", story)).status_code == 403
    assert client.post(action_url("story_approve", story), {"approve-note": ""}).status_code == 403
    assert client.post(reverse("moderation:spam"), {"stories": [story.pk]}).status_code == 403
    assert client.get(reverse("moderation:responses")).status_code == 403
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW


def test_a_platform_admin_with_mfa_is_refused(client):
    """Powers elsewhere do not open the queue: only moderators."""
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    client.force_login(admin)
    assert client.get(QUEUE).status_code == 403


def test_a_moderator_without_two_step_verification_is_sent_to_set_it_up(client):
    client.force_login(moderator(mfa=False))
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fmoderation%2F"
    story = queued_story()
    assert client.post(action_url("story_claim", story)).status_code == 302
    story.refresh_from_db()
    assert story.claimed_by is None


def test_a_moderator_with_two_step_verification_sees_the_queue(client, mod):
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "<h1>Moderation queue</h1>" in response.content.decode()


def test_staff_tools_link_to_the_queue(client, mod):
    assert 'href="/moderation/">Moderation queue</a>' in client.get("/staff/").content.decode()


# --- The queue: rows, filters, order --------------------------------------------------------------


def test_the_queue_shows_waiting_stories_and_not_others(client, mod):
    waiting = queued_story(title="Waiting one")
    held = held_story(title="Held one")
    StoryFactory(title="A draft")
    published_story(title="Already out")
    StoryFactory(title="Turned down", state=State.REJECTED, queued_at=ago(days=1))
    html = client.get(QUEUE).content.decode()
    assert set(rows(html)) == {str(waiting.pk), str(held.pk)}
    assert "2 stories" in html


def test_each_row_says_state_priority_flags_waiting_claim_and_target(client, mod):
    other = named_moderator("Jo Reader")
    old = queued_story(
        title="Old and flagged",
        flags=["phone_number", "screening_failed", "something_new"],
        priority=Priority.HIGH,
        queued_at=ago(days=4),
    )
    claimed(old, other)
    fresh = queued_story(title="Fresh one")
    html = client.get(QUEUE).content.decode()
    row = html[html.index(f'id="story-{old.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Old and flagged" in row
    assert "Being read" in row  # in_review's label
    assert "High" in row
    assert "A phone number" in row
    assert "Automatic checks failed" in row
    assert "Something new" in row
    assert "Past target" in row
    assert "4\xa0days" in row
    assert "Jo Reader, until" in row
    fresh_row = html[html.index(f'id="story-{fresh.pk}"') :]
    fresh_row = fresh_row[: fresh_row.index("</tr>")]
    assert "Past target" not in fresh_row
    assert "Nobody" in fresh_row
    # Moderators are staff; authors stay private even here.
    assert old.author.email not in html
    assert other.email not in html


def test_past_target_is_review_target_after_queueing(client, mod):
    just_under = queued_story(queued_at=timezone.now() - REVIEW_TARGET + timedelta(minutes=5))
    html = client.get(QUEUE).content.decode()
    assert "Past target" not in html
    assert str(just_under.pk) in html


def test_urgent_first_then_oldest_first(client, mod):
    normal_old = queued_story(queued_at=ago(days=3))
    normal_new = queued_story(queued_at=ago(hours=1))
    urgent_new = queued_story(queued_at=ago(minutes=5), priority=Priority.URGENT)
    high_old = queued_story(queued_at=ago(days=2), priority=Priority.HIGH)
    urgent_old = held_story(queued_at=ago(hours=5), priority=Priority.URGENT)
    html = client.get(QUEUE).content.decode()
    assert rows(html) == [
        str(s.pk) for s in (urgent_old, urgent_new, high_old, normal_old, normal_new)
    ]


def test_filter_by_state(client, mod):
    waiting = queued_story()
    held = held_story()
    rejected = StoryFactory(state=State.REJECTED, queued_at=ago(days=1))
    html = client.get(QUEUE, {"state": "held_safeguarding"}).content.decode()
    assert rows(html) == [str(held.pk)]
    html = client.get(QUEUE, {"state": ["rejected", "awaiting_review"]}).content.decode()
    assert set(rows(html)) == {str(waiting.pk), str(rejected.pk)}
    assert "Clear filters" in html


def test_filter_by_priority(client, mod):
    queued_story()
    urgent = queued_story(priority=Priority.URGENT)
    html = client.get(QUEUE, {"priority": "2"}).content.decode()
    assert rows(html) == [str(urgent.pk)]


def test_a_bad_filter_value_is_said_and_the_default_used(client, mod):
    story = queued_story()
    response = client.get(QUEUE, {"priority": "nine", "state": "nonsense"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a priority from the list." in html
    assert "Choose states from the list." in html
    assert "<title>Error: " in html
    assert rows(html) == [str(story.pk)]


def test_filter_appeals_only(client, mod):
    queued_story()
    appeal = queued_story(appealed_at=ago(hours=1), appeal_text="Please look again.")
    html = client.get(QUEUE, {"appeals": "on"}).content.decode()
    assert rows(html) == [str(appeal.pk)]
    assert "Appeal</strong>" in html


def test_filter_claimed_by_me(client, mod):
    mine = claimed(queued_story(), mod)
    claimed(queued_story(), moderator())
    queued_story()
    lapsed = queued_story()
    claimed(lapsed, mod)
    Story.objects.filter(pk=lapsed.pk).update(claim_expires_at=ago(minutes=1))
    html = client.get(QUEUE, {"mine": "on"}).content.decode()
    assert rows(html) == [str(mine.pk)]
    assert "You, until" in html


def test_the_queue_is_paginated_by_fifty(client, mod):
    for n in range(52):
        queued_story(queued_at=ago(minutes=100 - n))
    first = client.get(QUEUE).content.decode()
    assert len(rows(first)) == 50
    assert "52 stories" in first
    second = client.get(QUEUE, {"page": 2}).content.decode()
    assert len(rows(second)) == 2
    assert client.get(QUEUE, {"page": "nan"}).status_code == 200


def test_the_header_links_cases_and_responses_with_counts(client, mod):
    story = published_story()
    org = OrganisationFactory()
    Response.objects.create(story=story, organisation=org, body="Thank you.")
    SafeguardingCase.objects.create(
        story=story, source="moderator", risk="high", acknowledge_by=timezone.now()
    )
    SafeguardingCase.objects.create(
        source="moderator", risk="low", status="closed", acknowledge_by=timezone.now()
    )
    html = client.get(QUEUE).content.decode()
    assert '<span id="open-cases">1</span> open' in html
    assert f'href="{reverse("moderation:cases")}"' in html
    assert '<span id="responses-waiting">1</span>' in html
    assert 'href="/moderation/responses/"' in html


# --- High-risk items this session ----------------------------------------------------------------


def test_high_risk_items_handled_since_logging_in_are_counted(client):
    user = moderator()
    before = claimed(queued_story(priority=Priority.URGENT), user)
    domain.story_approve(story=before, by=user)
    client.force_login(user)  # "this session": since the last log-in (User.last_login)
    html = client.get(QUEUE).content.decode()
    assert "You have handled 0 high-risk items this session." in html

    urgent = claimed(queued_story(priority=Priority.URGENT), user)
    domain.story_approve(story=urgent, by=user)
    normal = claimed(queued_story(), user)
    domain.story_approve(story=normal, by=user)
    html = client.get(QUEUE).content.decode()
    assert "You have handled 1 high-risk item this session." in html


# --- Claims --------------------------------------------------------------------------------------


def test_claim_then_a_second_moderator_is_refused(client, mod):
    story = queued_story(title="One at a time")
    response = client.post(action_url("story_claim", story))
    assert response.status_code == 302
    assert response["Location"] == story_url(story)
    story.refresh_from_db()
    assert story.state == State.IN_REVIEW
    assert story.claimed_by == mod
    page = client.get(story_url(story)).content.decode()
    assert "You are reading this story until" in page
    assert 'id="approve-form"' in page

    second = named_moderator("Second Mod")
    client.force_login(second)
    page = client.get(story_url(story)).content.decode()
    until = timezone.localtime(story.claim_expires_at).strftime("%H:%M")
    assert f"Being read by Alex Moderator until {until}." in page
    for form in ("approve-form", "changes-form", "reject-form", "hold-form", "claim-button"):
        assert f'id="{form}"' not in page
    refused = client.post(action_url("story_claim", story))
    assert refused.status_code == 400
    assert "Another moderator is already reading this story." in refused.content.decode()
    story.refresh_from_db()
    assert story.claimed_by == mod

    # Acting without the claim is refused too, with what was typed kept.
    refused = client.post(
        action_url("story_reject", story),
        {"reject-reason": Reason.SPAM, "reject-note": "Looks like an advert."},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Another moderator is reading this story." in html
    assert "Looks like an advert." in html
    story.refresh_from_db()
    assert story.state == State.IN_REVIEW


def test_an_expired_claim_can_be_taken(client, mod):
    story = queued_story()
    claimed(story, moderator())
    Story.objects.filter(pk=story.pk).update(claim_expires_at=ago(minutes=1))
    page = client.get(story_url(story)).content.decode()
    assert 'id="claim-button"' in page
    assert client.post(action_url("story_claim", story)).status_code == 302
    story.refresh_from_db()
    assert story.claimed_by == mod
    assert story.claim_is_live()


def test_release_puts_it_back(client, mod):
    story = claimed(queued_story(), mod)
    response = client.post(action_url("story_release", story))
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW
    assert story.claimed_by is None


def test_claiming_a_story_not_in_the_queue_is_a_clear_400(client, mod):
    story = published_story()
    response = client.post(action_url("story_claim", story))
    assert response.status_code == 400
    assert "is not waiting to be read" in response.content.decode()


def test_actions_need_post(client, mod):
    story = queued_story()
    assert client.get(action_url("story_claim", story)).status_code == 405
    assert client.get(action_url("story_approve", story)).status_code == 405


# --- The story page ------------------------------------------------------------------------------


def test_the_story_page_shows_everything_a_moderator_needs(client, mod):
    reader = UserFactory(email="reader.private@example.org")
    author = UserFactory(email="author.private@example.org")
    story = published_story(
        author=author,
        title="Walking <b>back</b>",
        body="First paragraph <script>alert(1)</script>\n\nCall me on 07700 900123.",
        content_notes=[ContentNote.SELF_HARM],
        flags=["phone_number"],
    )
    Report.objects.create(
        story=story, reporter=reader, category="personal_details", note="A phone no."
    )
    ModeratorNote.objects.create(story=story, author=mod, text="Checked with the duty lead.")
    html = client.get(story_url(story)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Walking &lt;b&gt;back&lt;/b&gt;" in html
    assert "<p>First paragraph" in html
    assert "Self-harm" in html
    assert "Connectedness" in html
    assert "A phone number" in html  # flag label
    assert "07700 900123" in text(html)  # the finding's excerpt
    assert "It contains personal details" in html
    assert "A phone no." in html
    assert "Checked with the duty lead." in html
    assert "Alex Moderator" in html
    assert "Automatic" in html  # the factory's actor-less decision
    assert "Meets our guidelines" in html
    for private in (reader.email, author.email, mod.email):
        assert private not in html
    assert 'id="hide-form"' in html  # published: a moderator may hide it


def test_history_names_the_author_as_the_author(client, mod):
    author = UserFactory()
    story = queued_story(author=author)
    domain.story_withdraw(story=story, by=author)
    html = client.get(story_url(story)).content.decode()
    assert "The author" in html
    assert "Withdrawn by the author" in html
    assert author.email not in html


def test_an_unknown_story_is_404(client, mod):
    assert client.get("/moderation/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_add_a_note_and_an_empty_note_is_refused(client, mod):
    story = queued_story()
    response = client.post(action_url("story_note", story), {"note-text": "Seen before?"})
    assert response.status_code == 302
    assert ModeratorNote.objects.get(story=story).text == "Seen before?"
    response = client.post(action_url("story_note", story), {"note-text": "  "})
    assert response.status_code == 400
    assert "Write the note first." in response.content.decode()


# --- Actions -------------------------------------------------------------------------------------


def test_approve_publishes(client, mod):
    story = claimed(queued_story(), mod)
    response = client.post(action_url("story_approve", story), {"approve-note": "Lovely."})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert story.decisions.filter(to_state=State.APPROVED, note="Lovely.", actor=mod).exists()
    assert "approved and published" in client.get(QUEUE).content.decode()


def test_approve_with_cooling_off_waits(client, mod):
    story = claimed(queued_story(wants_cooling_off=True), mod)
    client.post(action_url("story_approve", story), {"approve-note": ""})
    story.refresh_from_db()
    assert story.state == State.APPROVED
    assert story.publish_after is not None
    assert "after the 48-hour wait" in client.get(QUEUE).content.decode()


def test_request_changes_with_suggested_edits(client, mod):
    story = claimed(queued_story(title="My ward", body="Nurse Jane Smith helped.\n\nThanks."), mod)
    page = client.get(story_url(story)).content.decode()
    assert "Nurse Jane Smith helped." in page  # the suggestion starts from the current text
    response = client.post(
        action_url("story_request_changes", story),
        {
            "changes-reason": Reason.IDENTIFYING_DETAILS,
            "changes-note": "Could we use 'a nurse' instead of her name?",
            "changes-proposed_title": "My ward",
            "changes-proposed_body": "A nurse helped.\r\n\r\nThanks.",
        },
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.CHANGES_REQUESTED
    assert story.reason == Reason.IDENTIFYING_DETAILS
    assert story.note_to_author == "Could we use 'a nurse' instead of her name?"
    assert story.proposed_body == "A nurse helped.\n\nThanks."
    assert story.proposed_title == ""  # unchanged, so not a suggestion


def test_request_changes_with_the_text_unchanged_suggests_no_edit(client, mod):
    story = claimed(queued_story(body="Line one.\n\nLine two."), mod)
    client.post(
        action_url("story_request_changes", story),
        {
            "changes-reason": Reason.NEEDS_CONTENT_NOTE,
            "changes-note": "Please add a content note.",
            "changes-proposed_title": story.title,
            "changes-proposed_body": "Line one.\r\n\r\nLine two.",
        },
    )
    story.refresh_from_db()
    assert story.state == State.CHANGES_REQUESTED
    assert (story.proposed_title, story.proposed_body) == ("", "")


def test_request_changes_without_a_note_keeps_what_was_typed(client, mod):
    story = claimed(queued_story(), mod)
    response = client.post(
        action_url("story_request_changes", story),
        {
            "changes-reason": Reason.GRAPHIC,
            "changes-note": "",
            "changes-proposed_title": "A gentler title",
            "changes-proposed_body": "My careful edit of the text.",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a note to the author saying what to change and why." in html
    assert 'value="A gentler title"' in html
    assert "My careful edit of the text." in html
    assert "<title>Error: " in html
    assert 'id="changes-details" open' in html
    story.refresh_from_db()
    assert story.state == State.IN_REVIEW


def test_reject_with_a_reason(client, mod):
    story = claimed(queued_story(), mod)
    page = client.get(story_url(story)).content.decode()
    assert "Thank you for trusting us with your story." in page  # the gentle wording hint
    response = client.post(
        action_url("story_reject", story),
        {"reject-reason": Reason.NOT_A_STORY, "reject-note": "Thank you for writing."},
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.REJECTED
    assert story.reason == Reason.NOT_A_STORY


def test_reject_with_a_reason_not_on_the_list_is_refused(client, mod):
    story = claimed(queued_story(), mod)
    response = client.post(
        action_url("story_reject", story),
        {"reject-reason": Reason.SCREENED_CLEAR, "reject-note": "Keep me."},
    )
    assert response.status_code == 400
    assert "Choose a reason." in response.content.decode()
    assert "Keep me." in response.content.decode()


def test_hold_opens_a_safeguarding_case(client, mod):
    story = claimed(queued_story(), mod)
    response = client.post(
        action_url("story_hold", story),
        {"hold-risk": "high", "hold-note": "They say they are not safe tonight."},
    )
    assert response.status_code == 302
    assert response["Location"] == story_url(story)
    story.refresh_from_db()
    assert story.state == State.HELD_SAFEGUARDING
    assert story.priority == Priority.URGENT
    case = SafeguardingCase.objects.get(story=story)
    assert case.source == SafeguardingCase.Source.MODERATOR
    assert case.risk == "high"
    page = client.get(story_url(story)).content.decode()
    assert f'href="{reverse("moderation:case", args=[case.pk])}"' in page


def test_a_hidden_story_can_be_restored(client, mod):
    story = published_story()
    readers = [UserFactory() for _ in range(3)]
    for reader in readers:
        domain.report_create(story=story, by=reader, category="offensive")
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW
    claimed(story, mod)
    page = client.get(story_url(story)).content.decode()
    assert 'id="restore-form"' in page and 'id="remove-form"' in page
    response = client.post(action_url("story_restore", story), {"restore-note": "It is fine."})
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert not Report.objects.filter(story=story, resolved_at__isnull=True).exists()


def test_a_hidden_story_can_be_removed(client, mod):
    story = published_story()
    domain.report_create(story=story, by=UserFactory(), category="untrue")
    domain.story_hide(story=story, by=mod, reason=Reason.UNTRUE, note="")
    claimed(story, mod)
    response = client.post(
        action_url("story_remove", story),
        {"remove-reason": Reason.NAMES_STAFF, "remove-note": "It names a nurse, sorry."},
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.REMOVED
    assert story.reason == Reason.NAMES_STAFF


def test_a_published_story_can_be_hidden(client, mod):
    story = published_story()
    response = client.post(
        action_url("story_hide", story), {"hide-reason": Reason.OFFENSIVE, "hide-note": ""}
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW


def test_approving_a_withdrawn_story_is_a_400_and_nothing_changes(client, mod):
    author = UserFactory()
    story = claimed(queued_story(author=author), mod)
    page = client.get(story_url(story)).content.decode()
    assert 'id="approve-form"' in page  # the moderator had the page open…
    domain.story_withdraw(story=story, by=author)  # …when the author withdrew it
    decisions = Decision.objects.filter(story=story).count()
    response = client.post(action_url("story_approve", story), {"approve-note": "All good!"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A story that is “withdrawn” cannot be approved." in html
    assert "All good!" in html
    assert "<title>Error: " in html
    story.refresh_from_db()
    assert story.state == State.WITHDRAWN
    assert Decision.objects.filter(story=story).count() == decisions


def test_rejecting_an_approved_story_is_a_400(client, mod):
    story = claimed(queued_story(wants_cooling_off=True), mod)
    domain.story_approve(story=story, by=mod)
    response = client.post(
        action_url("story_reject", story),
        {"reject-reason": Reason.OFFENSIVE, "reject-note": "Changed my mind."},
    )
    assert response.status_code == 400
    assert "cannot be turned down" in response.content.decode()
    story.refresh_from_db()
    assert story.state == State.APPROVED


# --- Bulk spam -----------------------------------------------------------------------------------


def test_mark_selected_as_spam_asks_then_rejects(client, mod):
    spam_a = queued_story(title="Buy cheap pills")
    spam_b = queued_story(title="Visit my site")
    held = held_story(title="Held story")
    keep = queued_story(title="A real story")
    queue = client.get(QUEUE).content.decode()
    assert f'id="select-{spam_a.pk}"' in queue
    assert f'id="select-{held.pk}"' not in queue  # held stories need a person
    confirm = client.post(
        reverse("moderation:spam"),
        {"stories": [spam_a.pk, spam_b.pk, held.pk], "next": "/moderation/?priority=0"},
    )
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Mark 2 stories as spam?" in html
    assert "Held story (held for a safety check)" in html
    spam_a.refresh_from_db()
    assert spam_a.state == State.AWAITING_REVIEW  # nothing happens before confirming

    done = client.post(
        reverse("moderation:spam"),
        {"stories": [spam_a.pk, spam_b.pk, held.pk], "confirm": "on", "next": "/moderation/"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/moderation/"
    for story in (spam_a, spam_b):
        story.refresh_from_db()
        assert story.state == State.REJECTED
        assert story.reason == Reason.SPAM
    held.refresh_from_db()
    keep.refresh_from_db()
    assert held.state == State.HELD_SAFEGUARDING
    assert keep.state == State.AWAITING_REVIEW
    assert "2 stories marked as spam. 1 left" in client.get(QUEUE).content.decode()


def test_mark_as_spam_with_nothing_selected_says_so(client, mod):
    queued_story()
    response = client.post(reverse("moderation:spam"), {"stories": ["not-a-uuid"]}, follow=True)
    assert response.status_code == 200
    assert "Select the stories to mark as spam." in response.content.decode()


def test_spam_next_must_be_on_this_site(client, mod):
    story = queued_story()
    response = client.post(
        reverse("moderation:spam"),
        {"stories": [story.pk], "confirm": "on", "next": "https://evil.example/"},
    )
    assert response["Location"] == QUEUE


# --- Responses waiting ---------------------------------------------------------------------------


def _response(body="We have changed our opening hours after reading this."):
    story = published_story(title="The drop-in helped")
    org = OrganisationFactory(name="Eastbrook Mind")
    return Response.objects.create(story=story, organisation=org, body=body)


def test_responses_waiting_are_listed_and_approved(client, mod):
    response_ = _response("<b>Thank you</b> for sharing.")
    html = client.get(reverse("moderation:responses")).content.decode()
    assert "Eastbrook Mind" in html
    assert "The drop-in helped" in html
    assert "&lt;b&gt;Thank you&lt;/b&gt;" in html
    assert story_url(response_.story) in html
    result = client.post(reverse("moderation:response_approve", args=[response_.pk]))
    assert result.status_code == 302
    response_.refresh_from_db()
    assert response_.state == Response.State.PUBLISHED
    assert (
        "No responses are waiting." in client.get(reverse("moderation:responses")).content.decode()
    )


def test_responses_can_be_rejected_with_a_reason(client, mod):
    response_ = _response()
    prefix = f"r{response_.pk}"
    missing = client.post(reverse("moderation:response_reject", args=[response_.pk]), {})
    assert missing.status_code == 400
    assert "Choose a reason." in missing.content.decode()
    result = client.post(
        reverse("moderation:response_reject", args=[response_.pk]),
        {f"{prefix}-reason": Reason.OFFENSIVE},
    )
    assert result.status_code == 302
    response_.refresh_from_db()
    assert response_.state == Response.State.REJECTED
    assert response_.reason == Reason.OFFENSIVE


def test_deciding_a_response_twice_is_a_400(client, mod):
    response_ = _response()
    domain.response_approve(response=response_, by=mod)
    result = client.post(reverse("moderation:response_approve", args=[response_.pk]))
    assert result.status_code == 400
    assert "This response has already been decided." in result.content.decode()


# --- Query counts --------------------------------------------------------------------------------


def _fill_queue(count: int) -> None:
    others = [named_moderator(f"Mod {n}") for n in range(2)]
    for n in range(count):
        story = queued_story(
            queued_at=ago(days=n % 5, minutes=n),
            flags=["phone_number", "name"] if n % 2 else [],
            priority=n % 3,
            appealed_at=ago(hours=1) if n % 7 == 0 else None,
        )
        if n % 4 == 0:
            claimed(story, others[n % 2])


# user, MFA, count, rows, high-risk count, open cases, responses, support lines (the session
# is in the cache, not the database)
QUEUE_QUERIES = 8


@pytest.mark.parametrize("count", [5, 60])
def test_the_queue_takes_a_fixed_number_of_queries(client, mod, django_assert_num_queries, count):
    _fill_queue(count)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert len(rows(response.content.decode())) == min(count, 50)


# user, MFA, the story, tags, services, events, organisations, decisions, notes, reports,
# cases, support lines
STORY_QUERIES = 12


@pytest.mark.parametrize("size", [1, 6])
def test_the_story_page_takes_a_fixed_number_of_queries(
    client, mod, django_assert_num_queries, size
):
    from tests.factories.events import EventFactory
    from tests.factories.services import ServiceFactory

    story = published_story()
    story.organisations.set([OrganisationFactory() for _ in range(size)])
    story.services.set([ServiceFactory() for _ in range(size)])
    story.events.set([EventFactory() for _ in range(size)])
    for n in range(size):
        Report.objects.create(story=story, reporter=UserFactory(), category="untrue")
        ModeratorNote.objects.create(story=story, author=named_moderator(f"Note {n}"), text="x")
        Decision.objects.create(
            story=story,
            actor=named_moderator(f"Actor {n}"),
            from_state=State.IN_REVIEW,
            to_state=State.IN_REVIEW,
            reason=Reason.CLAIM,
        )
    with django_assert_num_queries(STORY_QUERIES):
        response = client.get(story_url(story))
    assert response.status_code == 200
