"""The story state machine: every move a domain function, every move logged, the refusals."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stories import domain
from stories.models import (
    COOLING_OFF,
    Decision,
    ModeratorNote,
    Priority,
    Reason,
    Report,
    SafeguardingCase,
    State,
    Story,
    Theme,
)
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = pytest.mark.django_db

QUIET_BODY = (
    "I joined a community garden in spring. Digging beds with other people gave my week "
    "a shape.\n\n"
    "Now I help new volunteers find their feet."
)


def submitted(**fields):
    story = StoryFactory(body=QUIET_BODY, **fields)
    return domain.story_submit(story=story, by=story.author, consent_public=True)


def claimed(mod=None, **fields):
    mod = mod or moderator()
    story = domain.story_claim(story=queued_story(**fields), by=mod)
    return story, mod


def trail(story) -> list[tuple[str, str, str]]:
    return list(
        Decision.objects.filter(story=story).values_list("from_state", "to_state", "reason")
    )


# --- Authors ----------------------------------------------------------------------------------


def test_a_submitted_story_is_screened_into_the_queue_under_the_pseudonym():
    story = submitted()
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW
    assert story.pseudonym == story.author.profile.pseudonym
    assert story.consent_public_at is not None and story.first_submitted_at is not None
    assert story.queued_at is not None
    assert trail(story) == [
        (State.DRAFT, State.SUBMITTED, Reason.SUBMITTED),
        (State.SUBMITTED, State.AWAITING_REVIEW, Reason.SCREENED_CLEAR),
    ]
    automatic = Decision.objects.get(story=story, to_state=State.AWAITING_REVIEW)
    assert automatic.actor is None and automatic.automatic is True


def test_submitting_refuses_what_is_missing_field_by_field_and_keeps_the_draft():
    story = StoryFactory(title="", body="word " * 1501, themes=[])
    with pytest.raises(ValidationError) as caught:
        domain.story_submit(story=story, by=story.author, consent_public=False)
    errors = caught.value.message_dict
    assert errors["title"] == ["Give your story a title."]
    assert errors["body"] == [
        "Your story is 1,501 words. Stories can be up to 1,500 words: take out 1 words and send "
        "it again. Your draft is saved."
    ]
    assert errors["themes"] == ["Choose at least one theme for your story."]
    assert errors["consent_public"] == [
        "Tick the box to agree to your story being published on this site."
    ]
    story.refresh_from_db()
    assert story.state == State.DRAFT and story.body == "word " * 1501
    assert not Decision.objects.filter(story=story).exists()


def test_a_draft_saves_whatever_its_length_and_only_for_its_author():
    story = StoryFactory()
    long_body = "more " * 3000
    domain.story_save_draft(
        story=story,
        by=story.author,
        title="<script>alert(1)</script>",
        body=long_body,
        themes=[Theme.HOPE],
        consent_training=True,
    )
    story.refresh_from_db()
    assert story.body == long_body and story.title == "<script>alert(1)</script>"
    assert story.themes == [Theme.HOPE] and story.consent_training_at is not None
    with pytest.raises(PermissionDenied):
        domain.story_save_draft(story=story, by=UserFactory(), body="mine now")
    with pytest.raises(PermissionDenied):
        domain.story_save_draft(story=queued_story(), by=story.author, body="not my story")


def test_the_author_cannot_edit_a_story_once_it_is_with_the_moderators():
    story = submitted()
    with pytest.raises(PermissionDenied):
        domain.story_save_draft(story=story, by=story.author, body="changed after sending")


def test_withdrawing_works_from_any_state_at_once_and_only_for_the_author():
    story = published_story()
    with pytest.raises(PermissionDenied):
        domain.story_withdraw(story=story, by=UserFactory())
    domain.story_withdraw(story=story, by=story.author)
    story.refresh_from_db()
    assert story.state == State.WITHDRAWN and story.withdrawn_at is not None
    assert not Story.objects.public().filter(pk=story.pk).exists()
    with pytest.raises(PermissionDenied):  # already withdrawn
        domain.story_withdraw(story=story, by=story.author)


def test_approving_a_withdrawn_story_is_refused_plainly_and_changes_nothing():
    story, mod = claimed()
    domain.story_withdraw(story=story, by=story.author)
    with pytest.raises(domain.IllegalTransition) as caught:
        domain.story_approve(story=story, by=mod)
    assert caught.value.messages == ["A story that is “withdrawn” cannot be approved."]
    story.refresh_from_db()
    assert story.state == State.WITHDRAWN


def test_an_author_cannot_publish_their_own_story():
    story = submitted()
    with pytest.raises(PermissionDenied):
        domain.story_claim(story=story, by=story.author)
    with pytest.raises(PermissionDenied):
        domain.story_approve(story=story, by=story.author)
    with pytest.raises(ValidationError):  # nothing approved, so nothing to publish now
        domain.story_publish_now(story=story, by=story.author)
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW


# --- Moderators -------------------------------------------------------------------------------


def test_moderation_needs_two_step_verification():
    story = queued_story()
    with pytest.raises(PermissionDenied):
        domain.story_claim(story=story, by=moderator(mfa=False))
    with pytest.raises(PermissionDenied):
        domain.story_claim(story=story, by=UserFactory())


def test_one_moderator_at_a_time_until_the_claim_expires():
    story, _first = claimed()
    second = moderator()
    with pytest.raises(ValidationError) as caught:
        domain.story_claim(story=story, by=second)
    assert caught.value.messages == ["Another moderator is already reading this story."]
    with pytest.raises(ValidationError):
        domain.story_approve(story=story, by=second)

    later = timezone.now() + timedelta(minutes=31)
    assert domain.claims_expire(now=later) == 1
    assert domain.claims_expire(now=later) == 0
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW and story.claimed_by is None
    domain.story_claim(story=story, by=second)
    story.refresh_from_db()
    assert story.state == State.IN_REVIEW and story.claimed_by == second


def test_approval_publishes_with_search_and_tells_the_author_without_quoting_the_story(
    django_capture_on_commit_callbacks,
):
    story, mod = claimed(title="Walking back to myself", body="The Tuesday walking group helped.")
    with django_capture_on_commit_callbacks(execute=True):
        domain.story_approve(story=story, by=mod, note="Lovely")
    story.refresh_from_db()
    assert story.state == State.PUBLISHED and story.published_at is not None
    assert Story.objects.public().filter(search_vector="walking").get() == story
    assert [m.subject for m in mail.outbox] == ["[Joined Up] Your story is published"]
    message = mail.outbox[0]
    assert message.to == [story.author.email]
    assert "Walking back" not in message.body and "Tuesday" not in message.body
    assert f"/stories/{story.pk}/" in message.body
    assert trail(story)[-2:] == [
        (State.IN_REVIEW, State.APPROVED, Reason.MEETS_GUIDELINES),
        (State.APPROVED, State.PUBLISHED, Reason.MEETS_GUIDELINES),
    ]


def test_an_author_who_asked_to_wait_gets_48_hours_then_the_beat_publishes():
    story, mod = claimed(wants_cooling_off=True)
    domain.story_approve(story=story, by=mod)
    story.refresh_from_db()
    assert story.state == State.APPROVED
    assert story.publish_after == story.approved_at + COOLING_OFF
    assert domain.publish_due() == 0
    assert domain.publish_due(now=story.publish_after + timedelta(seconds=1)) == 1
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert trail(story)[-1] == (State.APPROVED, State.PUBLISHED, Reason.COOLING_OFF_ENDED)


def test_the_author_may_skip_the_wait():
    story, mod = claimed(wants_cooling_off=True)
    domain.story_approve(story=story, by=mod)
    domain.story_publish_now(story=story, by=story.author)
    story.refresh_from_db()
    assert story.state == State.PUBLISHED


def test_changes_requested_then_resubmitted_goes_back_through_screening():
    story, mod = claimed()
    with pytest.raises(ValidationError) as caught:
        domain.story_request_changes(
            story=story, by=mod, reason=Reason.IDENTIFYING_DETAILS, note=""
        )
    assert caught.value.message_dict == {
        "note": ["Write a note to the author saying what to change and why."]
    }
    domain.story_request_changes(
        story=story, by=mod, reason=Reason.IDENTIFYING_DETAILS, note="Please leave out the ward."
    )
    story.refresh_from_db()
    assert story.state == State.CHANGES_REQUESTED
    assert story.note_to_author == "Please leave out the ward."
    domain.story_save_draft(story=story, by=story.author, body=QUIET_BODY)
    domain.story_submit(story=story, by=story.author)
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW
    assert (State.CHANGES_REQUESTED, State.SUBMITTED, Reason.AUTHOR_RESUBMITTED) in trail(story)


def test_suggested_edits_take_effect_only_when_the_author_accepts_them():
    story, mod = claimed(body="Nurse Jo on Ward 4 listened.")
    domain.story_request_changes(
        story=story,
        by=mod,
        reason=Reason.IDENTIFYING_DETAILS,
        note="We took out the nurse's name and the ward.",
        proposed_body="A nurse listened.",
    )
    story.refresh_from_db()
    assert (
        story.body == "Nurse Jo on Ward 4 listened." and story.proposed_body == "A nurse listened."
    )
    with pytest.raises(PermissionDenied):
        domain.story_accept_edits(story=story, by=mod)
    domain.story_accept_edits(story=story, by=story.author)
    story.refresh_from_db()
    assert story.body == "A nurse listened." and story.state == State.PUBLISHED
    assert (State.CHANGES_REQUESTED, State.APPROVED, Reason.AUTHOR_ACCEPTED_EDITS) in trail(story)


def test_a_rejection_may_be_appealed_once():
    story, mod = claimed()
    with pytest.raises(ValidationError):
        domain.story_reject(story=story, by=mod, reason=Reason.MEETS_GUIDELINES, note="x")
    domain.story_reject(
        story=story, by=mod, reason=Reason.NOT_A_STORY, note="It reads as an advert."
    )
    domain.story_appeal(story=story, by=story.author, text="It is my story about the group.")
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW and story.priority == Priority.HIGH
    domain.story_claim(story=story, by=mod)
    domain.story_reject(story=story, by=mod, reason=Reason.NOT_A_STORY, note="Still an advert.")
    with pytest.raises(ValidationError) as caught:
        domain.story_appeal(story=story, by=story.author, text="Please look again")
    assert caught.value.messages == [
        "You have already appealed this decision. Appeals can be made once."
    ]


def test_bulk_spam_rejects_only_what_waits_in_the_queue():
    mod = moderator()
    waiting = [queued_story() for _ in range(3)]
    published = published_story()
    held = queued_story(state=State.HELD_SAFEGUARDING)
    count = domain.stories_mark_spam(stories=[*waiting, published, held], by=mod)
    assert count == 3
    assert set(Story.objects.filter(state=State.REJECTED).values_list("pk", flat=True)) == {
        s.pk for s in waiting
    }
    assert Story.objects.get(pk=held.pk).state == State.HELD_SAFEGUARDING


def test_high_risk_items_handled_counts_distinct_stories_decided():
    mod = moderator()
    start = timezone.now()
    held = queued_story(state=State.HELD_SAFEGUARDING, priority=Priority.URGENT)
    domain.story_claim(story=held, by=mod)
    domain.story_approve(story=held, by=mod)
    story, _ = claimed(mod)
    domain.story_approve(story=story, by=mod)
    assert domain.high_risk_handled(moderator=mod, since=start) == 1


def test_decisions_are_append_only_in_the_database():
    story = submitted()
    decision = Decision.objects.filter(story=story).first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(note="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).delete()


# --- Reports ----------------------------------------------------------------------------------


def test_three_distinct_readers_hide_a_story_automatically(django_capture_on_commit_callbacks):
    story = published_story()
    readers = [UserFactory() for _ in range(3)]
    domain.report_create(story=story, by=readers[0], category=Report.Category.UNTRUE)
    with pytest.raises(ValidationError) as caught:
        domain.report_create(story=story, by=readers[0], category=Report.Category.SPAM)
    assert caught.value.message_dict == {
        "category": ["You have already reported this story. Our moderators will look at it."]
    }
    domain.report_create(story=story, by=readers[1], category=Report.Category.OFFENSIVE)
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        domain.report_create(story=story, by=readers[2], category=Report.Category.SPAM)
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW
    assert trail(story)[-1] == (
        State.PUBLISHED,
        State.HIDDEN_PENDING_REVIEW,
        Reason.REPORTS_THRESHOLD,
    )
    assert mail.outbox[-1].subject == "[Joined Up] Your story is hidden while we look at reports"
    assert "automatically" in mail.outbox[-1].body
    for reader in readers:
        assert reader.email not in mail.outbox[-1].body


def test_the_author_cannot_report_their_own_story_and_nobody_reports_a_draft():
    story = published_story()
    with pytest.raises(PermissionDenied):
        domain.report_create(story=story, by=story.author, category=Report.Category.SPAM)
    draft = StoryFactory()
    with pytest.raises(ValidationError):
        domain.report_create(story=draft, by=UserFactory(), category=Report.Category.SPAM)


def test_restoring_dismisses_the_reports():
    story = published_story()
    for _ in range(3):
        domain.report_create(story=story, by=UserFactory(), category=Report.Category.SPAM)
    mod = moderator()
    domain.story_claim(story=story, by=mod)
    domain.story_restore(story=story, by=mod, note="Reads fine")
    story.refresh_from_db()
    assert story.state == State.PUBLISHED and story.claimed_by is None
    assert not story.reports.filter(resolved_at__isnull=True).exists()


def test_unique_report_constraint_holds_in_the_database():
    story = published_story()
    reader = UserFactory()
    Report.objects.create(story=story, reporter=reader, category=Report.Category.SPAM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(story=story, reporter=reader, category=Report.Category.UNTRUE)


def test_an_at_risk_report_hides_the_story_and_opens_a_case():
    story = published_story()
    domain.report_create(story=story, by=UserFactory(), category=Report.Category.AT_RISK)
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW and story.priority == Priority.URGENT
    case = SafeguardingCase.objects.get(story=story)
    assert case.source == SafeguardingCase.Source.REPORT
    assert case.status == SafeguardingCase.Status.OPEN


# --- Screening that fails holds -----------------------------------------------------------------


def test_a_screening_error_holds_the_story_and_tells_the_moderators_now(
    monkeypatch, django_capture_on_commit_callbacks
):
    mods = [moderator(), moderator()]

    def broken(**kwargs):
        raise RuntimeError("phrase list missing")

    monkeypatch.setattr(domain.screening, "screen", broken)
    with django_capture_on_commit_callbacks(execute=True):
        story = submitted()
    story.refresh_from_db()
    assert story.state == State.HELD_SAFEGUARDING
    assert story.flags == ["screening_failed"] and story.priority == Priority.URGENT
    assert trail(story)[-1] == (State.SUBMITTED, State.HELD_SAFEGUARDING, Reason.SCREENING_FAILED)
    case = SafeguardingCase.objects.get(story=story)
    assert case.risk == SafeguardingCase.Risk.MEDIUM
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(m.email for m in mods)
    assert all(QUIET_BODY[:30] not in m.body for m in mail.outbox)


def test_a_screening_run_over_budget_holds_the_story(monkeypatch):
    real_screen = domain.screening.screen

    def slow_screen(**kwargs):
        outcome = real_screen(**kwargs)
        slow_screen.finished = True
        return outcome

    slow_screen.finished = False
    real_clock = domain.time.thread_time
    # The clock jumps past the budget once the checks have run.
    monkeypatch.setattr(
        domain.time,
        "thread_time",
        lambda: real_clock() + (domain.SCREENING_BUDGET + 1 if slow_screen.finished else 0),
    )
    monkeypatch.setattr(domain.screening, "screen", slow_screen)
    story = submitted()
    story.refresh_from_db()
    assert story.state == State.HELD_SAFEGUARDING and story.flags == ["screening_failed"]


def test_sending_the_same_response_twice_makes_one():
    from tests.factories.accounts import MembershipFactory

    membership = MembershipFactory()
    story = published_story()
    story.organisations.add(membership.organisation)
    first = domain.response_create(
        story=story, by=membership.user, organisation=membership.organisation, body="Thank you."
    )
    again = domain.response_create(
        story=Story.objects.get(pk=story.pk),
        by=membership.user,
        organisation=membership.organisation,
        body="Thank you.\r\n",
    )
    assert again.pk == first.pk
    assert story.responses.count() == 1


MODERATORS_WRITES = [
    lambda s, u: domain.story_claim(story=s, by=u),
    lambda s, u: domain.story_release(story=s, by=u),
    lambda s, u: domain.story_approve(story=s, by=u),
    lambda s, u: domain.story_request_changes(
        story=s, by=u, reason=Reason.IDENTIFYING_DETAILS, note="x"
    ),
    lambda s, u: domain.story_reject(story=s, by=u, reason=Reason.SPAM, note="x"),
    lambda s, u: domain.story_hold(story=s, by=u, note="x", risk="high"),
    lambda s, u: domain.story_hide(story=s, by=u, reason=Reason.SPAM, note="x"),
    lambda s, u: domain.story_restore(story=s, by=u),
    lambda s, u: domain.story_remove(story=s, by=u, reason=Reason.SPAM, note="x"),
    lambda s, u: domain.moderator_note_add(story=s, by=u, text="x"),
    lambda s, u: domain.stories_mark_spam(stories=[s], by=u),
]


@pytest.mark.parametrize("act", MODERATORS_WRITES)
def test_moderators_writes_refuse_a_moderator_without_two_step_verification(act):
    story = queued_story()
    with pytest.raises(PermissionDenied):
        act(story, moderator(mfa=False))
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW
    assert not Decision.objects.filter(story=story).exists()


@pytest.mark.parametrize("act", MODERATORS_WRITES)
def test_moderators_writes_refuse_readers_the_author_and_anonymous(act):
    story = queued_story()
    for person in (UserFactory(), story.author, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            act(story, person)
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW
    assert not Decision.objects.filter(story=story).exists()
    assert not ModeratorNote.objects.filter(story=story).exists()


def _rejected():
    return queued_story(state=State.REJECTED, reason=Reason.NOT_A_STORY)


def _with_suggested_edits():
    return queued_story(
        state=State.CHANGES_REQUESTED,
        reason=Reason.IDENTIFYING_DETAILS,
        proposed_body="A nurse listened.",
    )


def _waiting_48_hours():
    now = timezone.now()
    return queued_story(
        state=State.APPROVED, approved_at=now, publish_after=now + COOLING_OFF, queued_at=None
    )


@pytest.mark.parametrize(
    ("make", "act"),
    [
        (
            lambda: StoryFactory(body=QUIET_BODY),
            lambda s, u: domain.story_save_draft(story=s, by=u, body="Not yours."),
        ),
        (
            lambda: StoryFactory(body=QUIET_BODY),
            lambda s, u: domain.story_submit(story=s, by=u, consent_public=True),
        ),
        (published_story, lambda s, u: domain.story_withdraw(story=s, by=u)),
        (_rejected, lambda s, u: domain.story_appeal(story=s, by=u, text="Look again.")),
        (_with_suggested_edits, lambda s, u: domain.story_accept_edits(story=s, by=u)),
        (_waiting_48_hours, lambda s, u: domain.story_publish_now(story=s, by=u)),
    ],
)
def test_the_authors_writes_refuse_everyone_else(make, act):
    story = make()
    before = (story.state, story.title, story.body, story.appeal_text)
    decisions = Decision.objects.filter(story=story).count()
    for person in (UserFactory(), moderator(), AnonymousUser()):
        with pytest.raises(PermissionDenied):
            act(story, person)
    story.refresh_from_db()
    assert (story.state, story.title, story.body, story.appeal_text) == before
    assert Decision.objects.filter(story=story).count() == decisions


def test_starting_a_story_needs_an_account():
    with pytest.raises(PermissionDenied):
        domain.story_create(author=AnonymousUser())
    assert not Story.objects.exists()


def test_reporting_needs_an_account():
    story = published_story()
    with pytest.raises(PermissionDenied):
        domain.report_create(story=story, by=AnonymousUser(), category=Report.Category.SPAM)
    assert not Report.objects.exists()
    story.refresh_from_db()
    assert story.state == State.PUBLISHED


def test_only_a_member_of_a_linked_organisation_may_respond():
    from stories.models import Response
    from tests.factories.accounts import MembershipFactory

    linked, other = MembershipFactory(), MembershipFactory()
    story = published_story()
    story.organisations.add(linked.organisation)
    for person, organisation in (
        (other.user, other.organisation),  # a member of an organisation the story does not link
        (other.user, linked.organisation),  # naming a linked organisation they are not in
        (moderator(), linked.organisation),
        (story.author, linked.organisation),
        (AnonymousUser(), linked.organisation),
    ):
        with pytest.raises(PermissionDenied):
            domain.response_create(
                story=story, by=person, organisation=organisation, body="Thank you."
            )
    assert not Response.objects.exists()


def test_deciding_a_response_needs_a_moderator():
    from stories.models import Response
    from tests.factories.accounts import MembershipFactory

    membership = MembershipFactory()
    response = Response.objects.create(
        story=published_story(),
        organisation=membership.organisation,
        author=membership.user,
        body="Thank you.",
    )
    for person in (membership.user, moderator(mfa=False)):
        with pytest.raises(PermissionDenied):
            domain.response_approve(response=response, by=person)
        with pytest.raises(PermissionDenied):
            domain.response_reject(response=response, by=person, reason=Reason.SPAM)
    response.refresh_from_db()
    assert response.state == Response.State.PENDING
