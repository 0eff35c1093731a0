"""The public transparency page (stories/transparency.py): exact figures from known rows, the
median in SQL, moderator decisions only, appeals and their outcomes, five queries, cached."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from stories import transparency
from stories.models import Decision, Reason, Report, SafeguardingCase, State
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SECRET_TITLE = "Zanzibar marmalade confession"
SECRET_BODY = "Quokka lighthouse paragraph that must never be shown on the numbers page."


def days_ago(n: float):
    return NOW - timedelta(days=n)


def decide(story, from_state, to_state, reason, *, by=None, automatic=False, when=None):
    return Decision.objects.create(
        story=story,
        actor=by,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        automatic=automatic,
        created_at=when or NOW,
    )


def published(*, submitted: float, after: float, state=State.PUBLISHED, **fields):
    """A story sent `submitted` days ago and published `after` days later."""
    return StoryFactory(
        state=state,
        first_submitted_at=days_ago(submitted),
        approved_at=days_ago(submitted - after),
        published_at=days_ago(submitted - after),
        **fields,
    )


@pytest.fixture
def world():
    mod = moderator()
    # Published: two in the last 12 months (2 and 4 days to publish), one long ago (10 days),
    # since withdrawn (and, below, one approved on appeal, 45 days ago). A draft and a story
    # in the queue count for nothing here.
    a = published(submitted=10, after=2, title=SECRET_TITLE, body=SECRET_BODY)
    b = published(submitted=100, after=4)
    c = published(submitted=410, after=10, state=State.WITHDRAWN)
    StoryFactory(state=State.DRAFT)
    StoryFactory(state=State.AWAITING_REVIEW, first_submitted_at=days_ago(1))

    # The approval of a: the screening, the claim and the publication step are not decisions
    # of a moderator's; the approval is.
    decide(a, State.SUBMITTED, State.AWAITING_REVIEW, Reason.SCREENED_CLEAR, automatic=True)
    decide(a, State.AWAITING_REVIEW, State.IN_REVIEW, Reason.CLAIM, by=mod)
    decide(a, State.IN_REVIEW, State.APPROVED, Reason.MEETS_GUIDELINES, by=mod)
    decide(a, State.APPROVED, State.PUBLISHED, Reason.MEETS_GUIDELINES, by=mod)
    decide(b, State.IN_REVIEW, State.APPROVED, Reason.MEETS_GUIDELINES, when=days_ago(96))
    decide(c, State.IN_REVIEW, State.APPROVED, Reason.MEETS_GUIDELINES, when=days_ago(400))
    decide(c, State.PUBLISHED, State.WITHDRAWN, Reason.AUTHOR_WITHDREW, by=c.author)

    changes = StoryFactory(state=State.CHANGES_REQUESTED)
    decide(changes, State.IN_REVIEW, State.CHANGES_REQUESTED, Reason.IDENTIFYING_DETAILS, by=mod)
    spam = StoryFactory(state=State.REJECTED)
    decide(spam, State.AWAITING_REVIEW, State.REJECTED, Reason.SPAM, when=days_ago(400))

    # Appeals: one waiting, one turned down again, one approved, one withdrawn.
    waiting = StoryFactory(state=State.AWAITING_REVIEW, appealed_at=days_ago(1))
    decide(waiting, State.IN_REVIEW, State.REJECTED, Reason.OFFENSIVE, by=mod, when=days_ago(3))
    decide(waiting, State.REJECTED, State.AWAITING_REVIEW, Reason.APPEALED, when=days_ago(1))
    again = StoryFactory(state=State.REJECTED, appealed_at=days_ago(20))
    decide(again, State.IN_REVIEW, State.REJECTED, Reason.NOT_A_STORY, by=mod, when=days_ago(30))
    decide(again, State.IN_REVIEW, State.REJECTED, Reason.NOT_A_STORY, by=mod, when=days_ago(15))
    StoryFactory(
        state=State.PUBLISHED,
        appealed_at=days_ago(50),
        approved_at=days_ago(45),
        published_at=days_ago(45),
    )
    StoryFactory(state=State.WITHDRAWN, appealed_at=days_ago(5))

    # Reports: three readers hide one story; an at-risk report hid another two years ago.
    reported = StoryFactory(state=State.HIDDEN_PENDING_REVIEW)
    for _ in range(3):
        Report.objects.create(story=reported, reporter=UserFactory(), category="offensive")
    decide(
        reported,
        State.PUBLISHED,
        State.HIDDEN_PENDING_REVIEW,
        Reason.REPORTS_THRESHOLD,
        automatic=True,
    )
    old = StoryFactory(state=State.REMOVED)
    Report.objects.create(
        story=old, reporter=UserFactory(), category="at_risk", created_at=days_ago(700)
    )
    decide(
        old,
        State.PUBLISHED,
        State.HIDDEN_PENDING_REVIEW,
        Reason.REPORT_AT_RISK,
        automatic=True,
        when=days_ago(700),
    )
    decide(old, State.HIDDEN_PENDING_REVIEW, State.REMOVED, Reason.SAFEGUARDING, by=mod)
    # Hidden by a moderator, then put back.
    decide(b, State.PUBLISHED, State.HIDDEN_PENDING_REVIEW, Reason.UNTRUE, by=mod)
    decide(b, State.HIDDEN_PENDING_REVIEW, State.PUBLISHED, Reason.REPORTS_DISMISSED, by=mod)

    for created in (NOW, days_ago(700)):
        SafeguardingCase.objects.create(
            story=old, source="report", acknowledge_by=created, created_at=created
        )
    return {"a": a}


def test_the_figures_are_exact(world):
    figures = transparency.figures(NOW)

    assert figures.published == transparency.Row("Stories published", 3, 4)  # with the appeal
    assert figures.on_site_now == 3  # a, b and the story approved on appeal
    assert figures.median_days == 3.0  # 2 and 4 days (the appealed one has no submission date)
    assert figures.median_days_all_time == 4.0  # 2, 4 and 10 days
    assert [(r.label, r.year, r.all_time) for r in figures.decisions_by_outcome] == [
        ("Approved", 2, 3),
        ("Changes asked for", 1, 1),
        ("Not published", 3, 4),
        ("Held for a safety check", 0, 0),
        ("Hidden by a moderator", 1, 1),
        ("Published again after reports were looked at", 1, 1),
        ("Removed after publication", 1, 1),
    ]
    assert [(r.label, r.year, r.all_time) for r in figures.decisions_by_reason] == [
        ("Meets our guidelines", 2, 3),
        ("Not a recovery story", 2, 2),
        ("Contains details that could identify someone", 1, 1),
        ("Offensive or discriminatory", 1, 1),
        ("Presents claims as fact that we cannot publish", 1, 1),
        ("Reports looked at: the story meets our guidelines", 1, 1),
        ("Safeguarding concern", 1, 1),
        ("Spam or advertising", 0, 1),
    ]
    assert figures.decisions_total == transparency.Row("All decisions", 9, 11)
    assert figures.appeals == 4
    assert figures.appeals_published == 1
    assert figures.appeals_rejected_again == 1
    assert figures.appeals_waiting == 1
    assert figures.appeals_other == 1
    assert figures.reports == transparency.Row("Reports from readers", 3, 4)
    assert figures.hidden_after_reports == transparency.Row("Stories hidden after reports", 1, 2)
    assert figures.safeguarding_cases == transparency.Row("Safeguarding cases opened", 1, 2)


def test_the_figures_take_five_queries_whatever_the_numbers(world, django_assert_num_queries):
    with django_assert_num_queries(5):
        transparency.figures(NOW)


def test_with_nothing_yet_the_figures_are_zero_and_the_medians_empty():
    figures = transparency.figures(NOW)

    assert figures.published == transparency.Row("Stories published", 0, 0)
    assert figures.median_days is None and figures.median_days_all_time is None
    assert figures.decisions_by_reason == []
    assert figures.decisions_total.all_time == 0
    assert figures.appeals == figures.appeals_other == 0


def test_the_page_is_public_shows_the_figures_and_no_story(client, world):
    page = client.get(reverse("stories:transparency"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "How we moderate stories: the numbers" in html
    assert 'data-figure="published-year">3<' in html
    assert 'data-figure="published-all">4<' in html
    assert 'data-figure="median-year">3.0<' in html
    assert 'data-figure="median-all">4.0<' in html
    assert 'data-figure="appeals">4<' in html
    assert 'data-figure="appeals-waiting">1<' in html
    assert 'data-reason="Spam or advertising"' in html
    assert SECRET_TITLE not in html
    assert SECRET_BODY not in html
    assert world["a"].author.email not in html


def test_the_page_reads_the_figures_once_in_ten_minutes(client, world, django_assert_num_queries):
    url = reverse("stories:transparency")
    client.get(url)  # the figures are read and cached
    with django_assert_num_queries(0):
        cached = client.get(url)
    assert 'data-figure="published-all">4<' in cached.content.decode()

    published(submitted=3, after=1)  # not shown until the cache lapses
    assert 'data-figure="published-all">4<' in client.get(url).content.decode()
    cache.delete(transparency.CACHE_KEY)
    assert 'data-figure="published-all">5<' in client.get(url).content.decode()
