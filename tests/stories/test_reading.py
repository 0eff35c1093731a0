"""What readers see: the public list (filters, search, content notes, order, a fixed number of
queries), a story's page (collapsed text, escaping, who may see what, related services and
events, support lines, responses) and the Atom feed. None of them ever carries the author's
email, display name or user id."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from portal.signposting import MAX_SHOWN
from services.models import Service
from stories import domain, queries
from stories.models import ContentNote, Response, State, Story, Tag, Theme
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.events import EventFactory
from tests.factories.services import ServiceFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story
from tests.services.html import checked, selected

pytestmark = pytest.mark.django_db

INDEX = "/stories/"
FEED = "/stories/feed/"
ATOM = "{http://www.w3.org/2005/Atom}"


def get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def titles(html: str) -> list[str]:
    """Story titles in the list, in order."""
    found = re.findall(
        r'<li class="jup-result jup-story-item">\s*<h3[^>]*><a href="[^"]+">([^<]+)</a>', html
    )
    return [unescape(t) for t in found]


def searchable(story: Story) -> Story:
    """As the domain leaves a story at publication: its search vector filled."""
    Story.objects.filter(pk=story.pk).update(search_vector=domain.STORY_SEARCH_VECTOR)
    return story


def was_published(state, **fields) -> Story:
    """A story that was published and has since moved on (withdrawn, hidden, removed)."""
    story = published_story(**fields)
    Story.objects.filter(pk=story.pk).update(state=state)
    story.state = state
    return story


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def private_author(**fields):
    """An author whose email, display name and id are easy to search for."""
    user = UserFactory(id=fields.pop("id", 987_654_321), email="hidden.author@example.org")
    user.profile.display_name = "Private Display Name"
    user.profile.pseudonym = "Quiet Heron 512"
    user.profile.save()
    return user


def assert_nothing_about(content: bytes, user) -> None:
    text = content.decode()
    assert user.email not in text
    assert user.profile.display_name not in text
    assert str(user.pk) not in text


# --- The list -----------------------------------------------------------------------------------


def test_list_shows_published_stories_newest_first(client):
    published_story(title="Older story", published_at=ago(days=3))
    published_story(title="Newest story", published_at=ago(hours=1))
    published_story(title="Middle story", published_at=ago(days=1))
    StoryFactory(title="A draft")
    queued_story(title="Waiting story")
    for state in (State.WITHDRAWN, State.HIDDEN_PENDING_REVIEW, State.REMOVED):
        was_published(state, title=f"Was published, now {state}")

    html = get(client, INDEX)

    assert titles(html) == ["Newest story", "Middle story", "Older story"]
    assert "3 stories" in html


def test_each_card_shows_title_pseudonym_date_themes_and_a_short_escaped_summary(client):
    words = " ".join(f"word{n}" for n in range(100))
    story = published_story(
        title="<script>alert(1)</script> Walking",
        body=f"<b>Bold</b> {words}",
        themes=[Theme.HOPE, Theme.EMPOWERMENT],
        published_at=timezone.now().replace(year=2030, month=3, day=4),
    )

    html = get(client, INDEX)

    assert "&lt;script&gt;alert(1)&lt;/script&gt; Walking" in html
    assert "<script>alert(1)" not in html
    assert story.pseudonym in html
    assert "4 March 2030" in html
    assert "Hope and optimism" in html and "Empowerment" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; word0" in html
    assert "word38…" in html  # 40 words: "<b>Bold</b>" and word0 to word38
    assert "word39" not in html


def test_a_card_with_content_notes_shows_the_note_and_withholds_the_summary(client):
    published_story(
        title="Noted",
        body="A sentence only the story page should show.",
        content_notes=[ContentNote.SELF_HARM, ContentNote.DETENTION],
    )

    html = get(client, INDEX)

    assert "Content note: self-harm, detention under the Mental Health Act" in html
    assert "A sentence only the story page should show." not in html


def test_filter_by_theme_tag_and_hide_content_notes(client):
    housing = Tag.objects.get(slug="housing")
    work = Tag.objects.get(slug="work")
    a = published_story(title="Hope and housing", themes=[Theme.HOPE])
    a.tags.add(housing)
    b = published_story(title="Meaning and work", themes=[Theme.MEANING])
    b.tags.add(work)
    c = published_story(
        title="Hope with a note", themes=[Theme.HOPE], content_notes=[ContentNote.SUICIDE]
    )
    c.tags.add(housing)
    published_story(title="Identity", themes=[Theme.IDENTITY], content_notes=[ContentNote.ABUSE])

    assert set(titles(get(client, INDEX + "?theme=hope"))) == {"Hope and housing", c.title}
    assert set(titles(get(client, INDEX + "?theme=hope&theme=meaning"))) == {
        "Hope and housing",
        "Meaning and work",
        c.title,
    }
    assert set(titles(get(client, INDEX + "?tag=housing"))) == {"Hope and housing", c.title}
    assert set(titles(get(client, INDEX + "?hide=suicide"))) == {
        "Hope and housing",
        "Meaning and work",
        "Identity",
    }
    html = get(client, INDEX + "?theme=hope&tag=housing&hide=suicide&hide=abuse")
    assert titles(html) == ["Hope and housing"]
    # The form shows what was asked (a bookmark or "back" brings the same page back).
    assert checked(html, "theme") == ["hope"]
    assert sorted(checked(html, "hide")) == ["abuse", "suicide"]
    assert selected(html, "id_tag") == ["housing"]
    assert "Hide stories with content notes about…" in html


def test_word_search_uses_the_stored_search_vector(client):
    searchable(published_story(title="Walking group", body="We walked by the canal each week."))
    searchable(published_story(title="Art class", body="Painting helped me sleep again."))
    # A story that is no longer public is not found by words, though its vector remains.
    was_published(State.WITHDRAWN, title="Canal withdrawn", body="canal canal")

    assert titles(get(client, INDEX + "?q=canal")) == ["Walking group"]
    assert titles(get(client, INDEX + "?q=paintings")) == ["Art class"]  # stemmed
    assert titles(get(client, INDEX + '?q="sleep again" -walking')) == ["Art class"]
    html = get(client, INDEX + "?q=nothing+matches+this")
    assert "No stories" in html and "removing the filters" in html
    # Odd input is not an error.
    get(client, INDEX + "?q=%00%27%22%29%28%3A%2A%21%7C%26")


def test_a_bad_filter_is_said_by_the_field_and_keeps_the_rest(client):
    published_story(title="Kept")
    html = get(client, INDEX + "?tag=no-such-tag&theme=hope&q=kept")

    assert html.count("Error: ") >= 1
    assert "<title>Error: " in html
    assert "Check your filters" in html
    assert checked(html, "theme") == ["hope"]
    assert 'value="kept"' in html


def test_pages_of_twenty_with_the_filters_kept(client):
    now = timezone.now()
    for n in range(23):
        published_story(
            title=f"Story {n:02d}", themes=[Theme.HOPE], published_at=now - timedelta(hours=n)
        )

    first = get(client, INDEX + "?theme=hope")
    second = get(client, INDEX + "?theme=hope&page=2")

    assert len(titles(first)) == 20 and titles(first)[0] == "Story 00"
    assert titles(second) == ["Story 20", "Story 21", "Story 22"]
    assert "?theme=hope&amp;page=2" in first
    assert "23 stories" in first


def test_the_count_is_bounded(client, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    for _ in range(7):
        published_story()

    html = get(client, INDEX)

    assert "More than 5 stories" in html
    assert len(titles(html)) == 7  # the page itself is whole


def _queries_for(client, url) -> int:
    get(client, url)  # warm: the support lines are cached after the first page
    with CaptureQueriesContext(connection) as ctx:
        get(client, url)
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    for _ in range(3):
        published_story(content_notes=[ContentNote.ABUSE]).tags.add(Tag.objects.first())
    few = _queries_for(client, INDEX)
    few_filtered = _queries_for(client, INDEX + "?theme=hope&hide=suicide&tag=housing&q=walk")
    for _ in range(27):
        published_story().tags.add(Tag.objects.first())

    assert _queries_for(client, INDEX) == few
    assert _queries_for(client, INDEX + "?theme=hope&hide=suicide&tag=housing&q=walk") == (
        few_filtered
    )
    with django_assert_max_num_queries(3):  # tags for the form, the count, the page
        get(client, INDEX)


def test_list_offers_to_share_a_story_and_the_feed(client):
    html = get(client, INDEX)

    assert f'href="{reverse("stories:write")}"' in html
    assert "Share your story" in html
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert f'href="{FEED}"' in html


def test_list_never_shows_the_author(client):
    author = private_author()
    published_story(author=author, pseudonym=author.profile.pseudonym, title="Mine")

    response = client.get(INDEX)

    assert author.profile.pseudonym in response.content.decode()
    assert_nothing_about(response.content, author)


# --- A story's page -----------------------------------------------------------------------------


def test_a_story_without_notes_shows_its_text_with_paragraphs_and_escaped(client):
    story = published_story(
        title="<script>alert('t')</script>",
        body="First paragraph.\n\n<script>alert('b')</script> second.",
        themes=[Theme.CONNECTEDNESS],
    )
    story.tags.add(Tag.objects.get(slug="peer-support"))

    html = get(client, story.get_absolute_url())

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert "<p>First paragraph.</p>" in html
    assert "<p>&lt;script&gt;alert(&#x27;b&#x27;)&lt;/script&gt; second.</p>" in html
    assert "<details" not in html.split('id="story-title"')[1].split("jup-story-support")[0]
    assert story.pseudonym in html
    assert "Connectedness" in html and "Peer support" in html


def test_content_notes_collapse_the_text_in_a_details_element(client):
    story = published_story(
        body="The hardest night.",
        content_notes=[ContentNote.SELF_HARM],
    )

    html = get(client, story.get_absolute_url())

    details = re.search(
        r'<details class="nhsuk-details jup-story-collapse".*?</details>', html, re.S
    )
    assert details, "the text is inside a <details> element"
    assert "This story mentions self-harm. Open the story" in details.group(0)
    assert "<p>The hardest night.</p>" in details.group(0)
    assert " open" not in details.group(0).split(">")[0]  # closed until the reader opens it
    two = published_story(content_notes=[ContentNote.SUICIDE, ContentNote.EATING_DISORDERS])
    assert "This story mentions suicide and eating disorders. Open the story" in get(
        client, two.get_absolute_url()
    )


def test_every_story_page_shows_at_most_three_support_lines(client):
    story = published_story()

    html = get(client, story.get_absolute_url())

    box = html.split('class="nhsuk-inset-text jup-story-support"')[1].split("</section>")[0]
    assert 1 <= box.count("<li>") <= MAX_SHOWN
    assert "Samaritans" in box
    assert "999" in box


@pytest.mark.parametrize(
    "state",
    [
        State.DRAFT,
        State.AWAITING_REVIEW,
        State.IN_REVIEW,
        State.CHANGES_REQUESTED,
        State.APPROVED,
        State.REJECTED,
        State.HELD_SAFEGUARDING,
        State.HIDDEN_PENDING_REVIEW,
        State.REMOVED,
        State.WITHDRAWN,
    ],
)
def test_only_published_stories_are_public(client, state):
    story = StoryFactory(state=state)
    url = story.get_absolute_url()

    get(client, url, 404)
    client.force_login(UserFactory())
    get(client, url, 404)
    client.force_login(moderator(mfa=False))
    get(client, url, 404)

    client.force_login(story.author)
    html = get(client, url)
    assert 'id="story-state"' in html
    assert State(state).label in html

    client.force_login(moderator())
    if state == State.DRAFT:
        get(client, url, 404)  # a draft is its author's alone, moderators included
    else:
        assert 'id="story-state"' in get(client, url)


def test_a_published_story_has_no_state_banner(client):
    story = published_story()
    client.force_login(story.author)
    assert 'id="story-state"' not in get(client, story.get_absolute_url())


def test_an_unknown_story_is_a_404(client):
    get(client, "/stories/00000000-0000-0000-0000-000000000000/", 404)


def test_related_services_upcoming_events_and_named_organisations(client):
    org = OrganisationFactory(name="Eastbrook Mind")
    service = ServiceFactory(name="Walking for wellbeing", organisation=org)
    closed = ServiceFactory(name="Closed for good service", status=Service.Status.DEFUNCT)
    upcoming = EventFactory(title="Spring walk", organisation=org)
    past = EventFactory(
        title="Last year's walk", starts_at=ago(days=30), ends_at=ago(days=30) + timedelta(hours=1)
    )
    draft = EventFactory(title="Draft walk", status=Event.Status.DRAFT)
    named = OrganisationFactory(name="Northfield Housing")
    story = published_story()
    story.services.add(service, closed)
    story.events.add(upcoming, past, draft)
    story.organisations.add(named)

    html = get(client, story.get_absolute_url())

    assert (
        f'<a href="{service.get_absolute_url()}">Walking for wellbeing</a>, Eastbrook Mind' in html
    )
    assert "Closed for good service" not in html
    assert f'<a href="{upcoming.get_absolute_url()}">Spring walk</a>' in html
    assert "Last year" not in html and "Draft walk" not in html
    assert f'<a href="{named.get_absolute_url()}">Northfield Housing</a>' in html


def _response(story, org, body, state=Response.State.PUBLISHED):
    return Response.objects.create(story=story, organisation=org, body=body, state=state)


def test_only_published_responses_show_and_only_on_a_published_story(client):
    org = OrganisationFactory(name="Eastbrook Mind")
    story = published_story()
    _response(story, org, "Thank you for telling us. We have changed our evenings.")
    _response(story, org, "A pending reply", state=Response.State.PENDING)
    _response(story, org, "A rejected reply", state=Response.State.REJECTED)
    _response(story, org, "A withdrawn reply", state=Response.State.WITHDRAWN)

    html = get(client, story.get_absolute_url())

    assert "We have changed our evenings." in html
    assert "Eastbrook Mind" in html
    for hidden in ("pending", "rejected", "withdrawn"):
        assert f"A {hidden} reply" not in html

    # Withdrawn by its author: gone for everyone, and even the author sees no responses.
    domain.story_withdraw(story=story, by=story.author)
    get(client, story.get_absolute_url(), 404)
    client.force_login(story.author)
    assert "We have changed our evenings." not in get(client, story.get_absolute_url())


def test_story_page_query_count_does_not_grow(client):
    def build(n):
        org = OrganisationFactory()
        story = published_story()
        for _ in range(n):
            story.services.add(ServiceFactory(organisation=org))
            story.events.add(EventFactory(organisation=org))
            story.organisations.add(OrganisationFactory())
            story.tags.add(*Tag.objects.all()[:n])
            _response(story, org, "Thank you")
        return story

    small, large = build(1), build(6)
    reader = UserFactory()
    client.force_login(reader)

    assert _queries_for(client, small.get_absolute_url()) == _queries_for(
        client, large.get_absolute_url()
    )
    client.logout()
    assert _queries_for(client, small.get_absolute_url()) == _queries_for(
        client, large.get_absolute_url()
    )


def test_report_link_for_signed_in_readers_but_not_the_author(client):
    story = published_story()
    url = story.get_absolute_url()
    report_url = reverse("stories:report", args=[story.pk])

    assert report_url not in get(client, url)
    client.force_login(UserFactory())
    assert report_url in get(client, url)
    client.force_login(story.author)
    assert report_url not in get(client, url)


def test_story_page_and_report_page_never_show_the_author(client):
    author = private_author()
    story = published_story(author=author, pseudonym=author.profile.pseudonym)

    page = client.get(story.get_absolute_url())
    assert author.profile.pseudonym in page.content.decode()
    assert_nothing_about(page.content, author)

    client.force_login(UserFactory())
    report_page = client.get(reverse("stories:report", args=[story.pk]))
    assert report_page.status_code == 200
    assert_nothing_about(report_page.content, author)


# --- The feed -----------------------------------------------------------------------------------


def _feed(client):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return response, ET.fromstring(response.content)


def test_feed_is_atom_with_the_latest_published_stories(client):
    now = timezone.now()
    for n in range(52):
        published_story(title=f"Story {n:02d}", published_at=now - timedelta(hours=n))
    StoryFactory(title="A draft")
    was_published(State.WITHDRAWN, title="Withdrawn one")

    response, root = _feed(client)

    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 50
    assert entries[0].find(f"{ATOM}title").text == "Story 00"
    first = entries[0]
    assert (
        first.find(f"{ATOM}link")
        .get("href")
        .endswith(Story.objects.get(title="Story 00").get_absolute_url())
    )
    assert first.find(f"{ATOM}updated").text
    assert first.find(f"{ATOM}author/{ATOM}name").text
    assert first.find(f"{ATOM}summary").text
    assert b"A draft" not in response.content and b"Withdrawn one" not in response.content


def test_feed_gives_only_the_note_for_a_noted_story_and_never_the_author(client):
    author = private_author()
    published_story(
        author=author,
        pseudonym=author.profile.pseudonym,
        title="Noted",
        body="Words only the page shows.",
        content_notes=[ContentNote.ABUSE],
    )
    published_story(title="Plain", body="Words the feed may show.")

    response, root = _feed(client)

    assert b"Words only the page shows." not in response.content
    assert b"Words the feed may show." in response.content
    noted = next(e for e in root.findall(f"{ATOM}entry") if e.find(f"{ATOM}title").text == "Noted")
    assert noted.find(f"{ATOM}author/{ATOM}name").text == author.profile.pseudonym
    assert noted.find(f"{ATOM}author/{ATOM}email") is None
    assert "Content note: abuse" in noted.find(f"{ATOM}summary").text
    assert_nothing_about(response.content, author)


def test_feed_query_count_is_one_query(client, django_assert_max_num_queries):
    for _ in range(10):
        published_story().tags.add(Tag.objects.first())
    with django_assert_max_num_queries(1):
        client.get(FEED)
