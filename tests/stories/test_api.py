"""/api/v1/stories/: published stories only, read-only, under the pseudonym; never the author's
email, id or name, never moderation data; the public list's filters; bad input a 400 or 404."""

import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import Event
from services.models import Service
from stories import domain
from stories.models import Response, State, Story, Tag
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.events import EventFactory
from tests.factories.services import ServiceFactory
from tests.factories.stories import StoryFactory, moderator, published_story

pytestmark = pytest.mark.django_db

LIST = "/api/v1/stories/"
DISPLAY_NAME = "Philippa Quennell-Ashworth"
MODERATION_KEYS = {
    "author",
    "author_id",
    "state",
    "flags",
    "priority",
    "reason",
    "note_to_author",
    "claimed_by",
    "decisions",
    "reports",
    "appeal_text",
    "proposed_title",
    "proposed_body",
}


@pytest.fixture
def api():
    return APIClient()


def author(n: int = 0):
    user = UserFactory(email=f"hidden.author.{n}@example.org")
    user.profile.display_name = f"{DISPLAY_NAME} {n}"
    user.profile.pseudonym = f"QuietHeron{n}"
    user.profile.save()
    return user


def searchable(story: Story) -> Story:
    Story.objects.filter(pk=story.pk).update(search_vector=domain.STORY_SEARCH_VECTOR)
    return story


def detail(story) -> str:
    return f"{LIST}{story.pk}/"


@pytest.fixture
def full_story():
    """A published story linking everything, with things it must not show beside each."""
    helper_org = OrganisationFactory(name="Northfield Mind")
    named = OrganisationFactory(name="Aire Valley Peer Network")
    shown_service = ServiceFactory(organisation=helper_org, name="Tuesday walking group")
    closed_service = ServiceFactory(
        organisation=helper_org, name="Gone for good", status=Service.Status.INACTIVE
    )
    shown_event = EventFactory(organisation=helper_org, title="Recovery café")
    draft_event = EventFactory(organisation=helper_org, title="Draft event", status="draft")
    published_at = timezone.now() - timedelta(days=2)
    story = published_story(
        author=author(),
        pseudonym="QuietHeron0",
        title="Walking back to myself",
        body="First paragraph.\n\nSecond paragraph.",
        themes=["connectedness", "hope"],
        content_notes=["self_harm"],
        published_at=published_at,
        flags=["phone_number"],
        reason="identifying_details",
        note_to_author="Please take out the ward name.",
    )
    story.tags.set(Tag.objects.filter(slug__in=["peer-support", "physical-activity"]))
    story.services.set([shown_service, closed_service])
    story.events.set([shown_event, draft_event])
    story.organisations.set([named, helper_org])
    answered = timezone.now() - timedelta(days=1)
    Response.objects.create(
        story=story,
        organisation=helper_org,
        author=UserFactory(),
        body="Thank you for telling us.",
        state=Response.State.PUBLISHED,
        created_at=answered - timedelta(hours=3),
        decided_at=answered,
    )
    Response.objects.create(
        story=story, organisation=named, body="Waiting to be read.", state="pending"
    )
    return {
        "story": story,
        "service": shown_service,
        "event": shown_event,
        "organisations": [named, helper_org],
        "published_at": published_at,
        "answered": answered,
    }


def iso(moment) -> str:
    """As DRF writes a time: London time, "Z" for UTC."""
    text = timezone.localtime(moment).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def test_a_story_has_exactly_the_public_shape(api, full_story):
    story = full_story["story"]
    named, helper_org = full_story["organisations"]

    data = api.get(detail(story)).json()

    assert data == {
        "id": str(story.pk),
        "url": f"http://testserver/stories/{story.pk}/",
        "title": "Walking back to myself",
        "body": "First paragraph.\n\nSecond paragraph.",
        "pseudonym": "QuietHeron0",
        "themes": ["connectedness", "hope"],
        "tags": ["peer-support", "physical-activity"],
        "content_notes": ["self_harm"],
        "published_at": iso(full_story["published_at"]),
        "services": [{"id": str(full_story["service"].pk), "name": "Tuesday walking group"}],
        "events": [{"id": str(full_story["event"].pk), "title": "Recovery café"}],
        "organisations": [
            {"uuid": str(named.uuid), "name": "Aire Valley Peer Network"},
            {"uuid": str(helper_org.uuid), "name": "Northfield Mind"},
        ],
        "responses": [
            {
                "organisation": "Northfield Mind",
                "body": "Thank you for telling us.",
                "date": iso(full_story["answered"]),
            }
        ],
    }


def test_the_list_pages_like_the_other_v1_apis(api, full_story):
    data = api.get(LIST).json()

    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 1
    assert data["results"] == [api.get(detail(full_story["story"])).json()]


def test_only_published_stories_are_there(api):
    shown = published_story(title="On the site")
    hidden = [
        StoryFactory(state=state, title=f"Not public: {state}")
        for state in State.values
        if state != State.PUBLISHED
    ]

    data = api.get(LIST, {"page_size": 100}).json()

    assert [s["id"] for s in data["results"]] == [str(shown.pk)]
    for story in hidden:
        response = api.get(detail(story))
        assert response.status_code == 404, story.state
        assert response["Content-Type"] == "application/json"


def test_newest_first():
    api = APIClient()
    now = timezone.now()
    old = published_story(published_at=now - timedelta(days=9))
    new = published_story(published_at=now - timedelta(days=1))
    middle = published_story(published_at=now - timedelta(days=4))

    ids = [s["id"] for s in api.get(LIST).json()["results"]]

    assert ids == [str(new.pk), str(middle.pk), str(old.pk)]


def test_the_author_and_moderation_data_never_appear(api, full_story):
    story = full_story["story"]
    user = story.author
    mod = moderator()
    domain.moderator_note_add(story=story, by=mod, text="Moderator-only remark about Leeds ward")
    searchable(story)
    responses = [
        api.get(LIST),
        api.get(detail(story)),
        api.get(LIST, {"q": "paragraph"}),
        api.get(LIST, {"theme": "hope", "tag": "peer-support"}),
    ]
    for response in responses:
        assert response.status_code == 200
        raw = response.content
        assert user.email.encode() not in raw
        assert DISPLAY_NAME.encode() not in raw
        assert b"Please take out the ward name" not in raw
        assert b"Moderator-only remark" not in raw
        assert b"phone_number" not in raw
        assert b"Waiting to be read." not in raw
        payload = json.loads(raw)
        items = payload.get("results", [payload])
        for item in items:
            assert not MODERATION_KEYS & set(item)
            assert str(user.pk) not in {str(v) for v in item.values()}
            assert item["pseudonym"] == "QuietHeron0"
    assert b'"id":%d' % user.pk not in b"".join(r.content for r in responses)


def test_a_story_without_a_pseudonym_is_anonymous(api):
    story = published_story(author=None, pseudonym="")

    assert api.get(detail(story)).json()["pseudonym"] == "Anonymous"


def test_withdrawing_hides_the_story_and_its_responses_at_once(api, full_story):
    story = full_story["story"]
    domain.story_withdraw(story=story, by=story.author)

    assert api.get(detail(story)).status_code == 404
    assert api.get(LIST).json()["count"] == 0


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def shelf():
    walking = searchable(
        published_story(
            title="Walking with others",
            body="The walking group met on Tuesdays by the canal.",
            themes=["connectedness"],
        )
    )
    walking.tags.set(Tag.objects.filter(slug="physical-activity"))
    painting = searchable(
        published_story(
            title="Paint on my hands",
            body="Painting at the arts centre gave me hope again.",
            themes=["hope", "identity"],
            content_notes=["self_harm"],
        )
    )
    ward = searchable(
        published_story(
            title="After the ward",
            body="Coming home from hospital was the hardest part.",
            themes=["meaning"],
            content_notes=["detention"],
        )
    )
    ward.tags.set(Tag.objects.filter(slug="hospital"))
    return {"walking": walking, "painting": painting, "ward": ward}


def found(api, params) -> set[str]:
    response = api.get(LIST, params)
    assert response.status_code == 200, response.content
    return {s["title"] for s in response.json()["results"]}


def test_filters_are_the_public_lists(api, shelf):
    assert found(api, {"theme": "hope"}) == {"Paint on my hands"}
    assert found(api, {"theme": ["hope", "meaning"]}) == {"Paint on my hands", "After the ward"}
    assert found(api, {"tag": "hospital"}) == {"After the ward"}
    assert found(api, {"q": "canal walking"}) == {"Walking with others"}
    assert found(api, {"q": "hope"}) == {"Paint on my hands"}
    assert found(api, {"exclude_content_note": "self_harm"}) == {
        "Walking with others",
        "After the ward",
    }
    assert found(api, {"exclude_content_note": ["self_harm", "detention"]}) == {
        "Walking with others"
    }
    assert found(api, {"q": "", "tag": "", "theme": []}) == {
        "Walking with others",
        "Paint on my hands",
        "After the ward",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"theme": "courage"}, "theme"),
        ({"theme": ["hope", "<script>"]}, "theme"),
        ({"tag": "no-such-tag"}, "tag"),
        ({"tag": "not a slug!"}, "tag"),
        ({"exclude_content_note": "spiders"}, "exclude_content_note"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_a_400_with_json(api, shelf, params, field):
    response = api.get(LIST, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_an_unknown_theme_is_named_in_the_message(api):
    response = api.get(LIST, {"theme": "courage"})

    assert response.json() == {
        "theme": {
            "0": [
                'No theme “courage”. One of: "connectedness" (Connectedness), "hope" (Hope '
                'and optimism), "identity" (Identity), "meaning" (Meaning in life), '
                '"empowerment" (Empowerment).'
            ]
        }
    }


@pytest.mark.parametrize(
    "path",
    [
        f"{LIST}not-a-uuid/",
        f"{LIST}{uuid.uuid4()}/",
        f"{LIST}12345/",
        f"{LIST}%00/",
    ],
)
def test_a_bad_or_unknown_id_is_a_404_with_json(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_page_past_the_end_is_a_404_with_json(api, shelf):
    response = api.get(LIST, {"page": 9})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# --- Read-only ----------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_writing_is_refused(api, signed_in):
    story = published_story()
    if signed_in:
        api.force_authenticate(story.author)
    body = {"title": "Changed", "body": "Changed"}

    assert api.post(LIST, body, format="json").status_code == 405
    for method in (api.put, api.patch):
        assert method(detail(story), body, format="json").status_code == 405
    assert api.delete(detail(story)).status_code == 405
    story.refresh_from_db()
    assert story.title != "Changed" and story.state == State.PUBLISHED


# --- Queries ------------------------------------------------------------------------------------


def linked_story(n: int, organisation, service, event) -> Story:
    story = published_story(published_at=timezone.now() - timedelta(minutes=n))
    story.tags.set(Tag.objects.all()[:3])
    story.services.set([service])
    story.events.set([event])
    story.organisations.set([organisation])
    Response.objects.create(
        story=story, organisation=organisation, body="Thank you.", state="published"
    )
    return story


def test_the_query_count_does_not_grow_with_the_page(api, django_assert_num_queries):
    organisation = OrganisationFactory()
    service = ServiceFactory(organisation=organisation)
    event = EventFactory(organisation=organisation, status=Event.Status.PUBLISHED)
    for n in range(3):
        linked_story(n, organisation, service, event)
    # count, the page's ids, its stories, tags, services, events, organisations, responses
    with django_assert_num_queries(8):
        small = api.get(LIST).json()
    for n in range(3, 25):
        linked_story(n, organisation, service, event)
    with django_assert_num_queries(8):
        full = api.get(LIST).json()
    with django_assert_num_queries(8):
        filtered = api.get(LIST, {"theme": "hope", "exclude_content_note": "abuse"}).json()
    with django_assert_num_queries(8):
        deep = api.get(LIST, {"page": 2}).json()

    assert len(small["results"]) == 3
    assert len(full["results"]) == 20 and full["count"] == 25
    assert len(filtered["results"]) == 20
    assert all(len(s["tags"]) == 3 and len(s["responses"]) == 1 for s in full["results"])
    assert len(deep["results"]) == 5
    assert [s["id"] for s in full["results"] + deep["results"]] == [
        str(pk)
        for pk in Story.objects.public()
        .order_by("-published_at", "-id")
        .values_list("pk", flat=True)
    ]


def test_a_filtered_count_stops_at_the_lists_cap(api, monkeypatch):
    monkeypatch.setattr("stories.queries.COUNT_CAP", 4)
    for _ in range(6):
        published_story(themes=["hope"])

    assert api.get(LIST).json()["count"] == 6  # the whole list: exact
    filtered = api.get(LIST, {"theme": "hope", "page_size": 3}).json()
    assert filtered["count"] == 4
    assert len(filtered["results"]) == 3 and filtered["next"] is not None


# --- The schema ---------------------------------------------------------------------------------


def test_the_schema_documents_the_stories_api_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/stories/:" in schema
    assert "/api/v1/stories/{id}/:" in schema
    assert "exclude_content_note" in schema
    assert "email" not in schema.split("    Story:")[1].split("    StoryEvent:")[0]
