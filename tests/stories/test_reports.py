"""Readers' reports through the pages: one per reader per story; three readers, or anyone saying
someone may be at risk, hide the story everywhere; the author cannot report their own story and
never learns who reported it."""

import pytest
from django.urls import reverse

from stories.models import Report, SafeguardingCase, State, Story
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story
from tests.services.html import checked

pytestmark = pytest.mark.django_db

INDEX = "/stories/"
FEED = "/stories/feed/"


def report_url(story) -> str:
    return reverse("stories:report", args=[story.pk])


def send_report(client, story, category="offensive", note=""):
    return client.post(report_url(story), {"category": category, "note": note})


def reader(**fields):
    user = UserFactory(**fields)
    return user


def test_report_needs_a_signed_in_reader(client):
    story = published_story()

    response = client.get(report_url(story))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert send_report(client, story).status_code == 302
    assert not Report.objects.exists()


def test_the_report_form_offers_five_categories_and_a_note(client):
    story = published_story(title="A walk")
    client.force_login(reader())

    html = client.get(report_url(story)).content.decode()

    for category in Report.Category:
        assert f'value="{category.value}"' in html
        assert category.label in html
    assert html.count('type="radio"') == 5
    assert 'name="note"' in html
    assert "<title>Report a story" in html


def test_a_report_is_recorded_and_the_thanks_page_says_what_happens_next(client):
    story = published_story()
    user = reader()
    client.force_login(user)

    response = send_report(client, story, "untrue", "The dates do not add up.")

    assert response.status_code == 302
    assert response["Location"] == reverse("stories:report_thanks", args=[story.pk])
    report = Report.objects.get()
    assert (report.story, report.reporter, report.category, report.note) == (
        story,
        user,
        "untrue",
        "The dates do not add up.",
    )
    html = client.get(response["Location"]).content.decode()
    assert "What happens next" in html
    assert "never tell the author" in html
    story.refresh_from_db()
    assert story.state == State.PUBLISHED  # one ordinary report hides nothing


def test_no_category_is_a_message_by_the_field_and_the_note_is_kept(client):
    story = published_story()
    client.force_login(reader())

    response = client.post(report_url(story), {"note": "Please look at paragraph two."})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert "Choose what is wrong with the story." in html
    assert 'id="id_category-error"' in html
    assert "Please look at paragraph two." in html
    assert not Report.objects.exists()


def test_a_second_report_by_the_same_reader_is_refused_by_the_field_and_keeps_the_typing(client):
    story = published_story()
    client.force_login(reader())
    send_report(client, story, "spam")

    html = client.get(report_url(story)).content.decode()
    assert "You have already reported this story." in html

    response = send_report(client, story, "offensive", "Something else now.")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert 'id="id_category-error"' in html
    assert "You have already reported this story." in html
    assert "Something else now." in html
    assert checked(html, "category") == ["offensive"]
    assert Report.objects.count() == 1


def test_the_author_cannot_report_their_own_story(client):
    story = published_story()
    client.force_login(story.author)

    assert client.get(report_url(story)).status_code == 403
    assert send_report(client, story).status_code == 403
    assert not Report.objects.exists()
    assert report_url(story) not in client.get(story.get_absolute_url()).content.decode()


def test_a_story_that_is_not_published_cannot_be_reported(client):
    story = StoryFactory(state=State.AWAITING_REVIEW)
    client.force_login(reader())

    assert client.get(report_url(story)).status_code == 404
    assert send_report(client, story).status_code == 404


def _visible_everywhere(client, story) -> tuple[bool, bool, bool]:
    client.logout()
    in_list = story.title in client.get(INDEX).content.decode()
    page = client.get(story.get_absolute_url()).status_code == 200
    in_feed = story.title in client.get(FEED).content.decode()
    return in_list, page, in_feed


def test_three_distinct_readers_hide_the_story_everywhere(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    story = published_story(title="Reported three times")
    assert _visible_everywhere(client, story) == (True, True, True)

    for n in range(3):
        client.force_login(reader())
        with django_capture_on_commit_callbacks(execute=True):
            assert send_report(client, story, "offensive").status_code == 302
        story.refresh_from_db()
        assert story.state == (State.HIDDEN_PENDING_REVIEW if n == 2 else State.PUBLISHED)

    assert _visible_everywhere(client, story) == (False, False, False)
    assert not SafeguardingCase.objects.exists()
    # The author is told it was hidden (links only).
    assert [m.to for m in mailoutbox] == [[story.author.email]]


def test_one_at_risk_report_hides_the_story_opens_a_case_and_emails_moderators(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    mods = [moderator(), moderator()]
    story = published_story(title="Someone may be at risk here")
    client.force_login(reader())

    with django_capture_on_commit_callbacks(execute=True):
        response = send_report(client, story, "at_risk", "They sound in danger tonight.")

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW
    case = SafeguardingCase.objects.get(story=story)
    assert case.source == SafeguardingCase.Source.REPORT
    assert case.status == SafeguardingCase.Status.OPEN
    assert case.acknowledge_by is not None
    to = {address for message in mailoutbox for address in message.to}
    assert {m.email for m in mods} <= to
    assert _visible_everywhere(client, story) == (False, False, False)
    # The thanks page still works though the story is hidden, and does not show it.
    client.force_login(Report.objects.get().reporter)
    thanks = client.get(reverse("stories:report_thanks", args=[story.pk]))
    assert thanks.status_code == 200
    assert "Someone may be at risk here" not in thanks.content.decode()


def test_the_reporter_is_never_shown_to_the_author(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    story = published_story(title="Watched story")
    reporters = [reader(email=f"reporter{n}@example.org") for n in range(3)]
    for user in reporters:
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            send_report(client, story, "personal_details", f"I am {user.email}")
    assert Story.objects.get(pk=story.pk).state == State.HIDDEN_PENDING_REVIEW

    client.force_login(story.author)
    mine = client.get(reverse("stories:mine"))
    own_page = client.get(story.get_absolute_url())
    assert mine.status_code == 200 and own_page.status_code == 200
    seen = [mine.content.decode(), own_page.content.decode()]
    seen += [m.subject + m.body for m in mailoutbox if story.author.email in m.to]
    assert len(seen) >= 3  # the author's pages and their email
    for text in seen:
        for user in reporters:
            assert user.email not in text
            assert user.profile.pseudonym not in text
            assert f"I am {user.email}" not in text


def test_report_thanks_is_only_for_someone_who_reported(client):
    story = published_story()
    url = reverse("stories:report_thanks", args=[story.pk])

    assert client.get(url).status_code == 302
    client.force_login(reader())
    assert client.get(url).status_code == 404
