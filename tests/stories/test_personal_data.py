"""Stories in "download my data" and "delete my account": what the download holds (and not),
and both answers to "what should happen to your stories?"."""

import json

import pytest
from django.db import connection

from accounts import domain as accounts_domain
from accounts import personal_data
from accounts.models import User
from stories import domain
from stories.models import (
    ANONYMOUS_PSEUDONYM,
    Decision,
    ModeratorNote,
    Reason,
    Report,
    Response,
    State,
    Story,
)
from tests.accounts.test_personal_data import _rows_containing
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = pytest.mark.django_db

EMAIL = "storyteller.leaving@example.org"


def rejected_and_appealed(author):
    story = queued_story(author=author, title="Turned down once")
    mod = moderator(email="moderator.name@example.org")
    domain.story_claim(story=story, by=mod)
    domain.moderator_note_add(story=story, by=mod, text="Internal: seems fine to me.")
    domain.story_reject(story=story, by=mod, reason=Reason.OTHER, note="Not this time, sorry.")
    domain.story_appeal(story=story, by=author, text="Please look again.")
    return story, mod


# --- Download my data ---------------------------------------------------------------------------


def test_export_holds_my_stories_consents_history_reports_and_responses():
    author = UserFactory(email=EMAIL)
    story, mod = rejected_and_appealed(author)
    Story.objects.filter(pk=story.pk).update(consent_training_at=story.consent_public_at)
    other_story = published_story()
    domain.report_create(story=other_story, by=author, category=Report.Category.UNTRUE)
    membership = MembershipFactory(user=author, organisation=OrganisationFactory(name="Mind"))
    Response.objects.create(
        story=other_story, organisation=membership.organisation, author=author, body="Thank you."
    )

    data = accounts_domain.user_export(user=author)
    json.dumps(data)  # the download is JSON

    section = data["stories"]
    [mine] = section["stories"]
    assert mine["title"] == "Turned down once"
    assert mine["body"] == story.body
    assert mine["state"] == State.AWAITING_REVIEW
    assert mine["themes"] == list(story.themes)
    assert mine["consents"]["public_site"] == story.consent_public_at.isoformat()
    assert mine["consents"]["training"] is not None
    assert mine["consents"]["partner_organisations"] is None
    assert mine["appeal"]["text"] == "Please look again."
    assert [(h["to_state"], h["reason"]) for h in mine["history"]] == [
        (State.IN_REVIEW, Reason.CLAIM),
        (State.REJECTED, Reason.OTHER),
        (State.AWAITING_REVIEW, Reason.APPEALED),
    ]
    assert all(set(h) == {"to_state", "reason", "reason_label", "at"} for h in mine["history"])
    assert section["reports"] == [
        {
            "story_id": str(other_story.pk),
            "category": "untrue",
            "category_label": "It is untrue",
            "note": "",
            "reported_at": Report.objects.get().created_at.isoformat(),
        }
    ]
    assert section["responses"][0]["body"] == "Thank you."
    assert section["responses"][0]["organisation"] == "Mind"

    text = json.dumps(section)
    # Never who moderated it, nor what moderators wrote to each other.
    assert "moderator.name@example.org" not in text
    assert str(mod.pk) not in [str(v) for v in _values(section)]
    assert "Internal: seems fine to me." not in text
    assert ModeratorNote.objects.filter(story=story).exists()


def _values(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _values(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _values(value)
    else:
        yield obj


def test_export_query_count_does_not_grow_with_stories(django_assert_max_num_queries):
    author = UserFactory()
    StoryFactory(author=author)
    from stories import personal_data as stories_data

    with django_assert_max_num_queries(12) as few:
        stories_data.export(author)
    StoryFactory.create_batch(5, author=author)
    with django_assert_max_num_queries(len(few.captured_queries)):
        stories_data.export(author)


# --- Delete my account ----------------------------------------------------------------------------


def test_the_delete_page_asks_about_stories_only_when_there_are_some(client):
    user = UserFactory()
    client.force_login(user)
    assert (
        "What should happen to your stories?"
        not in client.get("/my-account/delete/").content.decode()
    )

    StoryFactory(author=user)
    html = client.get("/my-account/delete/").content.decode()
    assert "What should happen to your stories?" in html
    withdraw = html[html.index('value="withdraw"') - 200 : html.index('value="withdraw"') + 40]
    assert "checked" in withdraw  # withdraw is the default
    assert 'value="keep"' in html


def test_deleting_without_an_answer_is_refused_with_a_message(client):
    user = UserFactory()
    StoryFactory(author=user)
    client.force_login(user)

    response = client.post("/my-account/delete/", {"confirm": "on"})

    assert response.status_code == 200
    assert "Choose what should happen to your stories." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def _author_with_stories():
    author = UserFactory(email=EMAIL)
    published = published_story(author=author, title="Out there", body="Published words.")
    draft = StoryFactory(author=author, title="Half done", body="Private draft words.")
    queued = queued_story(author=author, title="Waiting", body="Waiting words.")
    withdrawn = published_story(author=author, title="Taken down", body="Old words.")
    domain.story_withdraw(story=withdrawn, by=author)
    reported = published_story()
    domain.report_create(story=reported, by=author, category=Report.Category.SPAM)
    return author, {"published": published, "draft": draft, "queued": queued, "old": withdrawn}


def _no_trace_of(author):
    assert not User.objects.filter(pk=author.pk).exists()
    assert _rows_containing(EMAIL) == []
    assert not Story.objects.filter(author_id=author.pk).exists()
    assert not Decision.objects.filter(actor_id=author.pk).exists()
    assert not Report.objects.filter(reporter_id=author.pk).exists()
    assert Report.objects.filter(reporter__isnull=True).count() == 1  # the report stays
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM stories_story WHERE author_id = %s", [author.pk])
        assert cursor.fetchone()[0] == 0


def test_delete_and_withdraw_takes_every_story_down_and_blanks_it(client):
    author, stories = _author_with_stories()
    client.force_login(author)

    response = client.post("/my-account/delete/", {"confirm": "on", "stories": "withdraw"})

    assert response.status_code == 302
    _no_trace_of(author)
    for story in stories.values():
        story.refresh_from_db()
        assert story.state == State.WITHDRAWN
        assert story.title == "" and story.body == "" and story.pseudonym == ""
        assert story.author_id is None and story.search_vector is None
    for key in ("published", "draft", "queued"):
        decision = Decision.objects.filter(story=stories[key]).last()
        assert (decision.to_state, decision.reason) == (State.WITHDRAWN, Reason.ACCOUNT_DELETED)
        assert decision.actor_id is None
    # Already withdrawn: no second withdrawal logged.
    assert not Decision.objects.filter(story=stories["old"], reason=Reason.ACCOUNT_DELETED).exists()
    assert client.get(stories["published"].get_absolute_url()).status_code == 404
    assert _rows_containing("Private draft words") == []


def test_delete_and_keep_leaves_published_stories_up_as_anonymous(client):
    author, stories = _author_with_stories()
    pseudonym = author.profile.pseudonym
    client.force_login(author)

    response = client.post("/my-account/delete/", {"confirm": "on", "stories": "keep"})

    assert response.status_code == 302
    _no_trace_of(author)
    kept = stories["published"]
    kept.refresh_from_db()
    assert kept.state == State.PUBLISHED
    assert kept.pseudonym == ANONYMOUS_PSEUDONYM
    assert kept.body == "Published words." and kept.author_id is None
    page = client.get(kept.get_absolute_url()).content.decode()
    assert "Published words." in page and ANONYMOUS_PSEUDONYM in page
    assert pseudonym not in page
    for key in ("draft", "queued", "old"):
        story = stories[key]
        story.refresh_from_db()
        assert story.state == State.WITHDRAWN and story.body == "" and story.title == ""
    assert _rows_containing("Private draft words") == []


def test_old_style_erasers_still_work_beside_questions():
    calls = []
    personal_data.register("test-old", erase=lambda user: calls.append(("old", user.pk)))
    personal_data.register(
        "test-new",
        erase=lambda user, answer: calls.append(("new", answer)),
        question=("test_q", "Pick one", [("a", "A"), ("b", "B")]),
    )
    try:
        user = UserFactory()
        user_pk = user.pk
        names = [name for name, _field in personal_data.deletion_questions(user)]
        assert "test_q" in names and "stories" not in names  # no stories, no question
        accounts_domain.user_delete(user=user, answers={"test_q": "b"})
    finally:
        personal_data._plugins.pop("test-old")
        personal_data._plugins.pop("test-new")
    assert ("old", user_pk) in calls and ("new", "b") in calls
