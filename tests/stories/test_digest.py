"""The moderators' daily digest (stories/digest.py): exact contents, links and counts only (no
story's title or text, no author), once per moderator per London day however often it runs,
mail only after the day is claimed and committed, and queries that do not grow per moderator."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories import digest
from stories.models import DigestSent, SafeguardingCase, State
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)  # a Tuesday
SITE = settings.SITE_URL


def ago(**kwargs):
    return NOW - timedelta(**kwargs)


def secret_story(n: int, state: str, **fields):
    """A story whose title, text and people are easy to search for in the mail."""
    author = UserFactory(email=f"secret.author.{n}@example.org")
    author.profile.display_name = f"Ottoline Fairweather {n}"
    author.profile.save()
    return StoryFactory(
        author=author,
        state=state,
        pseudonym=f"LanternMoth{n}",
        title=f"Xylophone harbour title {n}",
        body=f"Quince lighthouse body text {n}, never to be mailed.",
        **fields,
    )


@pytest.fixture
def moderators():
    return [
        moderator(email="mod.one@example.org"),
        moderator(email="mod.two@example.org", mfa=False),
    ]


@pytest.fixture
def queue():
    """Six stories in the queue, three outside it, and safeguarding cases."""
    stories = {
        "oldest": secret_story(1, State.AWAITING_REVIEW, queued_at=ago(days=5, hours=2)),
        "recent": secret_story(2, State.AWAITING_REVIEW, queued_at=ago(hours=1)),
        "claimed": secret_story(3, State.IN_REVIEW, queued_at=ago(days=4)),
        "held": secret_story(4, State.HELD_SAFEGUARDING, queued_at=ago(hours=2, minutes=5)),
        "hidden": secret_story(5, State.HIDDEN_PENDING_REVIEW, queued_at=ago(minutes=30)),
        "appeal": secret_story(
            6,
            State.AWAITING_REVIEW,
            queued_at=ago(days=1),
            appealed_at=ago(days=1),
            appeal_text="Walrus appeal text that stays private",
            note_to_author="Narwhal note to the author",
        ),
        "draft": secret_story(7, State.DRAFT),
        "published": secret_story(8, State.PUBLISHED, queued_at=ago(days=30)),
        "rejected": secret_story(
            9, State.REJECTED, queued_at=ago(days=10), appealed_at=ago(days=9)
        ),
    }
    case = {"story": stories["held"], "source": "screening", "summary": "Crisis words"}
    SafeguardingCase.objects.create(acknowledge_by=ago(minutes=10), **case)  # overdue
    SafeguardingCase.objects.create(acknowledge_by=NOW + timedelta(hours=3), **case)
    SafeguardingCase.objects.create(  # acknowledged in time: open, not overdue
        acknowledge_by=ago(hours=1), acknowledged_at=ago(hours=2), status="acknowledged", **case
    )
    SafeguardingCase.objects.create(acknowledge_by=ago(days=3), status="closed", **case)
    return stories


def link(story) -> str:
    return f"{SITE}/moderation/{story.pk}/"


def expected_body(stories) -> str:
    return f"""Hello,

This is the moderation digest for Tuesday 3 March 2026. It has counts and links only: open a \
link to read a story.

In the queue: 6
- Waiting to be read: 3
- Being read: 1
- Held for a safety check: 1
- Hidden while we look at reports: 1

Oldest waiting: 5 days, 2 hours
{link(stories["oldest"])}

Past the 3-day target: 2
{link(stories["oldest"])} (waiting 5 days, 2 hours)
{link(stories["claimed"])} (waiting 4 days)

Open safeguarding cases: 3 (1 past the acknowledgement deadline)
{SITE}/moderation/safeguarding/

Appeals waiting: 1
{link(stories["appeal"])} (appealed 1 day ago)

The queue: {SITE}/moderation/

Joined Up
(You get this once a day because you are a moderator.)
"""


def run(now=NOW, *, callbacks) -> int:
    with callbacks(execute=True):
        return digest.send_digests(now=now)


def test_the_digest_says_exactly_this(moderators, queue, django_capture_on_commit_callbacks):
    sent = run(callbacks=django_capture_on_commit_callbacks)

    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["mod.one@example.org", "mod.two@example.org"]
    for message in mail.outbox:
        assert message.subject == "[Joined Up] Moderation digest for Tuesday 3 March 2026"
        assert message.body == expected_body(queue)
        assert len(message.to) == 1 and not message.cc and not message.bcc


def test_no_story_text_title_or_author_in_the_mail(
    moderators, queue, django_capture_on_commit_callbacks
):
    run(callbacks=django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        raw = message.message().as_bytes().decode()
        text = message.subject + message.body + raw
        for story in queue.values():
            author = story.author
            for secret in (
                story.title,
                story.body,
                "Xylophone",
                "Quince",
                story.pseudonym,
                author.email,
                author.profile.display_name,
                author.profile.pseudonym,
            ):
                assert secret not in text, secret
        for secret in ("Walrus", "Narwhal", "Crisis words", "secret.author"):
            assert secret not in text


def test_run_twice_the_same_day_each_moderator_gets_one(
    moderators, queue, django_capture_on_commit_callbacks
):
    first = run(callbacks=django_capture_on_commit_callbacks)
    second = run(NOW + timedelta(hours=1), callbacks=django_capture_on_commit_callbacks)
    third = run(NOW + timedelta(hours=14, minutes=59), callbacks=django_capture_on_commit_callbacks)

    assert (first, second, third) == (2, 0, 0)
    assert len(mail.outbox) == 2
    assert DigestSent.objects.filter(day=NOW.date()).count() == 2


def test_the_next_day_it_is_sent_again(moderators, queue, django_capture_on_commit_callbacks):
    run(callbacks=django_capture_on_commit_callbacks)
    tomorrow = NOW + timedelta(days=1)
    again = run(tomorrow, callbacks=django_capture_on_commit_callbacks)

    assert again == 2
    assert len(mail.outbox) == 4
    assert mail.outbox[-1].subject == "[Joined Up] Moderation digest for Wednesday 4 March 2026"
    assert "Oldest waiting: 6 days, 2 hours" in mail.outbox[-1].body
    assert sorted(DigestSent.objects.values_list("day", flat=True)) == [
        NOW.date(),
        NOW.date(),
        tomorrow.date(),
        tomorrow.date(),
    ]


def test_the_day_is_the_london_day_and_it_goes_from_7am(
    moderators, django_capture_on_commit_callbacks
):
    # 05:30 UTC on 1 July is 06:30 in London (BST): too early. 06:30 UTC is 07:30: it goes.
    # 22:30 UTC is still 1 July in London (nothing more); 06:30 UTC on 2 July is the next day.
    too_early = datetime(2026, 7, 1, 5, 30, tzinfo=UTC)
    assert run(too_early, callbacks=django_capture_on_commit_callbacks) == 0
    assert (
        run(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), callbacks=django_capture_on_commit_callbacks)
        == 2
    )
    assert (
        run(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), callbacks=django_capture_on_commit_callbacks)
        == 0
    )
    assert (
        run(datetime(2026, 7, 2, 6, 30, tzinfo=UTC), callbacks=django_capture_on_commit_callbacks)
        == 2
    )
    assert sorted(set(DigestSent.objects.values_list("day", flat=True))) == [
        datetime(2026, 7, 1).date(),
        datetime(2026, 7, 2).date(),
    ]


def test_only_active_moderators(queue, django_capture_on_commit_callbacks):
    moderator(email="active.mod@example.org")
    moderator(email="left.mod@example.org", is_active=False)
    UserFactory(email="reader@example.org")

    assert run(callbacks=django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [["active.mod@example.org"]]


def test_the_day_is_claimed_before_the_mail_which_goes_after_commit(
    moderators, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert digest.send_digests(now=NOW) == 2
    assert mail.outbox == []  # not yet committed
    assert DigestSent.objects.filter(day=NOW.date()).count() == 2
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 2


def test_a_moderator_already_claimed_by_another_run_is_skipped(
    moderators, queue, django_capture_on_commit_callbacks
):
    # Another worker inserted the first moderator's row between our read and our claim.
    DigestSent.objects.create(moderator=moderators[0], day=NOW.date())

    assert run(callbacks=django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [["mod.two@example.org"]]
    claimed = digest._claim([m.pk for m in moderators], NOW.date(), NOW)
    assert claimed == []  # both rows exist: nothing more to send


def test_nothing_waiting_says_so(moderators, django_capture_on_commit_callbacks):
    run(callbacks=django_capture_on_commit_callbacks)

    body = mail.outbox[0].body
    assert "In the queue: 0\n- Waiting to be read: 0\n" in body
    assert "Nothing is waiting.\n" in body
    assert "Past the 3-day target: 0\n\nOpen safeguarding cases: 0\n" in body
    assert "Appeals waiting: 0\n\nThe queue:" in body


def test_long_lists_are_cut_with_a_link_to_the_queue(
    moderators, django_capture_on_commit_callbacks
):
    for n in range(digest.LINKS_MAX + 3):
        StoryFactory(state=State.AWAITING_REVIEW, queued_at=ago(days=10, minutes=n))

    run(callbacks=django_capture_on_commit_callbacks)

    body = mail.outbox[0].body
    assert f"Past the 3-day target: {digest.LINKS_MAX + 3}\n" in body
    assert body.count("(waiting 10 days)") == digest.LINKS_MAX
    assert f"and 3 more in the queue: {SITE}/moderation/\n" in body


def test_the_queries_do_not_grow_with_moderators_or_stories(
    queue, django_capture_on_commit_callbacks
):
    for n in range(2):
        moderator(email=f"few{n}@example.org")
    with CaptureQueriesContext(connection) as few:
        run(callbacks=django_capture_on_commit_callbacks)
    for n in range(10):
        moderator(email=f"many{n}@example.org")
        StoryFactory(state=State.AWAITING_REVIEW, queued_at=ago(days=n))
    with CaptureQueriesContext(connection) as many:
        sent = run(NOW + timedelta(days=1), callbacks=django_capture_on_commit_callbacks)

    assert sent == 12
    assert len(many) == len(few)
    assert len(mail.outbox) == 14


def test_how_long_reads_plainly():
    assert digest.how_long(timedelta(seconds=20)) == "under a minute"
    assert digest.how_long(timedelta(minutes=1)) == "1 minute"
    assert digest.how_long(timedelta(hours=2, minutes=5)) == "2 hours, 5 minutes"
    assert digest.how_long(timedelta(hours=1)) == "1 hour"
    assert digest.how_long(timedelta(days=1, minutes=59)) == "1 day"
    assert digest.how_long(timedelta(days=3, hours=1)) == "3 days, 1 hour"


def test_the_beat_task_sends_the_digest(
    moderators, queue, django_capture_on_commit_callbacks, monkeypatch
):
    from stories.tasks import task_send_moderation_digests

    monkeypatch.setattr(digest, "SEND_FROM_HOUR", 0)  # whatever the hour this test runs at

    with django_capture_on_commit_callbacks(execute=True):
        assert task_send_moderation_digests() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert task_send_moderation_digests() == 0
    assert len(mail.outbox) == 2
