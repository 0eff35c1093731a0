"""Odd input on every stories URL: never a 500.

Unknown and non-UUID ids, GET on actions that need a POST, POSTs with missing or garbled
fields, NUL characters (PostgreSQL refuses them in text), page numbers that are not numbers or
far too big, unknown themes, tags and content notes, `next` pointing off the site, over-long
titles, titles and stories of only spaces, double submission, and acting on a story that
changed state meanwhile. Each case asserts the exact status, and the message a person would
see where there is one.
"""

from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stories import domain
from stories.models import (
    TITLE_MAX,
    Reason,
    Report,
    Response,
    SafeguardingCase,
    State,
    Story,
    Theme,
)
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = pytest.mark.django_db

NUL = "\x00"
UNKNOWN = "5e0f7bd1-0000-4000-8000-000000000000"


def client_for(user=None) -> Client:
    # A 500 comes back as a response (not an exception), so the status is what is asserted.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def text_of(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def people():
    author = UserFactory()
    mod = moderator()
    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation).user
    published = published_story(author=author)
    published.organisations.add(organisation)
    return {
        "author": author,
        "moderator": mod,
        "reader": UserFactory(),
        "member": member,
        "organisation": organisation,
        "published": published,
        "draft": StoryFactory(author=author),
        "queued": queued_story(),
    }


# --- Ids ----------------------------------------------------------------------------------------

STORY_PAGES = [
    "stories:detail",
    "stories:report",
    "stories:report_thanks",
    "stories:respond",
    "stories:respond_sent",
    "stories:edit",
    "stories:preview",
    "stories:submitted",
    "stories:accept_edits",
    "stories:appeal",
    "stories:withdraw",
    "moderation:story",
    "moderation:case",
]


@pytest.mark.parametrize("name", STORY_PAGES)
@pytest.mark.parametrize("who", ["author", "moderator", "member"])
def test_an_unknown_id_is_404(people, name, who):
    client = client_for(people[who])
    url = reverse(name, args=[UNKNOWN])
    # Moderation pages refuse a non-moderator before looking the id up.
    expected = 403 if name.startswith("moderation:") and who != "moderator" else 404
    assert client.get(url).status_code == expected
    # Not an id at all: no URL matches.
    assert client.get(url.replace(UNKNOWN, "not-a-uuid")).status_code == 404
    assert client.get(url.replace(UNKNOWN, "%00")).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/api/v1/stories/not-a-uuid/", f"/api/v1/stories/{UNKNOWN}/", "/api/v1/stories/%00/"],
)
def test_the_api_says_404_for_an_unknown_story(url):
    response = client_for().get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_api_hides_a_story_that_is_not_published(people):
    for story in (people["draft"], people["queued"]):
        assert client_for().get(f"/api/v1/stories/{story.pk}/").status_code == 404


POSTED_ACTIONS = [
    "moderation:story_claim",
    "moderation:story_release",
    "moderation:story_note",
    "moderation:story_approve",
    "moderation:story_request_changes",
    "moderation:story_reject",
    "moderation:story_hold",
    "moderation:story_hide",
    "moderation:story_restore",
    "moderation:story_remove",
    "moderation:response_approve",
    "moderation:response_reject",
    "moderation:case_acknowledge",
    "moderation:case_contact_author",
    "moderation:case_request_escalation",
    "moderation:case_confirm_escalation",
    "moderation:case_close",
]


@pytest.mark.parametrize("name", POSTED_ACTIONS)
def test_a_moderation_action_on_an_unknown_id_is_404(people, name):
    response = client_for(people["moderator"]).post(reverse(name, args=[UNKNOWN]), {})
    assert response.status_code == 404


# --- GET on actions that need a POST --------------------------------------------------------------


@pytest.mark.parametrize("name", POSTED_ACTIONS)
def test_get_on_a_moderation_action_is_405(people, name):
    response = client_for(people["moderator"]).get(reverse(name, args=[people["queued"].pk]))
    assert response.status_code == 405
    assert Story.objects.get(pk=people["queued"].pk).state == State.AWAITING_REVIEW


def test_get_on_spam_is_405(people):
    assert client_for(people["moderator"]).get(reverse("moderation:spam")).status_code == 405


@pytest.mark.parametrize("name", ["stories:autosave", "stories:submit", "stories:publish_now"])
def test_get_on_an_author_action_is_405(people, name):
    draft = people["draft"]
    response = client_for(people["author"]).get(reverse(name, args=[draft.pk]))
    assert response.status_code == 405
    assert Story.objects.get(pk=draft.pk).state == State.DRAFT


# --- Query strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "1 story"),
        ("page=99999999999999999999999", "1 story"),
        ("page=-1", "1 story"),
        ("page=nan", "1 story"),
        (f"q={NUL}", "Null characters are not allowed"),
        (f"q=walking{NUL}group", "Null characters are not allowed"),
        ("q=" + "x" * 500, "at most 200 characters"),
        ("theme=not-a-theme", "Select a valid choice"),
        (f"theme={NUL}", "Select a valid choice"),
        ("tag=no-such-tag", "Select a valid choice"),
        (f"tag={NUL}", "Select a valid choice"),
        ("hide=not-a-note", "Select a valid choice"),
        ("next=//evil.example", "1 story"),
        ("next=nan", "1 story"),
    ],
)
def test_the_list_takes_any_query_string(people, query, message):
    response = client_for().get(f"/stories/?{query}")
    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    if "valid choice" in message or "Null" in message or "at most" in message:
        assert "<title>Error: " in text


@pytest.mark.parametrize(
    "query",
    ["page=abc", f"q={NUL}", "next=//evil.example", "theme=nope"],
)
def test_the_feed_and_transparency_ignore_query_strings(people, query):
    client = client_for()
    feed = client.get(f"/stories/feed/?{query}")
    assert feed.status_code == 200
    assert people["published"].title in feed.content.decode()
    assert client.get(f"/stories/transparency/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "key"),
    [
        ("page=abc", 404, "detail"),
        ("page=99999", 404, "detail"),
        ("page_size=0", 400, "page_size"),
        ("page_size=abc", 400, "page_size"),
        (f"q={NUL}", 400, "q"),
        ("q=" + "x" * 500, 400, "q"),
        ("theme=not-a-theme", 400, "theme"),
        ("tag=no-such-tag", 400, "tag"),
        (f"tag={NUL}", 400, "tag"),
        ("exclude_content_note=nope", 400, "exclude_content_note"),
        ("page=1", 200, "results"),
    ],
)
def test_the_api_list_says_what_is_wrong_in_json(people, query, status, key):
    response = client_for().get(f"/api/v1/stories/?{query}")
    assert response.status_code == status
    assert key in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=99999999999999999999",
        "state=bogus",
        f"state={NUL}",
        "priority=abc",
        f"priority={NUL}",
        "appeals=maybe",
        "mine=%00",
    ],
)
def test_the_queue_takes_any_query_string(people, query):
    response = client_for(people["moderator"]).get(f"/moderation/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["page=abc", "page=999999999", f"show={NUL}"])
def test_the_responses_and_cases_lists_take_any_query_string(people, query):
    client = client_for(people["moderator"])
    assert client.get(f"/moderation/responses/?{query}").status_code == 200
    assert client.get(f"/moderation/safeguarding/?{query}").status_code == 200


def test_the_story_editor_takes_any_search(people):
    """`find` searches the directory by name; a NUL used to reach PostgreSQL (a 500)."""
    draft = people["draft"]
    client = client_for(people["author"])
    url = reverse("stories:edit", args=[draft.pk])
    for find in (NUL, f"walk{NUL}ing", "²", "x" * 500):
        response = client.get(url, {"find": find})
        assert response.status_code == 200, repr(find)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example/", "nan", "javascript:alert(1)", NUL, "/\\evil"],
)
def test_spam_never_redirects_off_the_site(people, target):
    client = client_for(people["moderator"])
    response = client.post(reverse("moderation:spam"), {"stories": ["nope"], "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:queue")
    page = client.get(response["Location"])
    assert "Select the stories to mark as spam." in text_of(page)
    confirm = client.post(
        reverse("moderation:spam"), {"stories": [str(people["queued"].pk)], "next": target}
    )
    assert confirm.status_code == 200
    assert "evil.example" not in confirm.content.decode()


# --- Writing: garbled and odd posts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": f"My{NUL}title"}, "Null characters are not allowed"),
        ({"body": f"A story{NUL}"}, "Null characters are not allowed"),
        ({"title": "x" * (TITLE_MAX + 1)}, f"Titles can be up to {TITLE_MAX} characters"),
        ({"themes": ["not-a-theme"]}, "Select a valid choice"),
        ({"themes": [NUL]}, "Select a valid choice"),
        ({"content_notes": ["not-a-note"]}, "Select a valid choice"),
        ({"tags": ["abc"]}, "is not a valid value"),
        ({"tags": [NUL]}, "Null characters are not allowed"),
        ({"services": ["not-a-uuid"]}, "is not a valid UUID"),
        ({"events": [NUL]}, "Null characters are not allowed"),
        ({"organisations": ["²"]}, "is not a valid value"),
        ({"organisations": ["99999999999999999999999"]}, "Select a valid choice"),
        ({"organisations": [NUL]}, "Null characters are not allowed"),
        ({"find": NUL, "action": "find"}, "Null characters are not allowed"),
    ],
)
def test_a_garbled_draft_is_refused_by_the_field_and_nothing_is_lost(people, data, message):
    draft = people["draft"]
    client = client_for(people["author"])
    typed = {"title": "Kept title", "body": "Kept words of my story.", **data}
    response = client.post(reverse("stories:edit", args=[draft.pk]), typed)
    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "<title>Error: " in text
    if "title" not in data:
        assert 'value="Kept title"' in text
    if "body" not in data:
        assert "Kept words of my story." in text
    draft.refresh_from_db()
    assert draft.title != "Kept title"  # nothing half-saved


@pytest.mark.parametrize(
    "data",
    [
        {"title": NUL},
        {"themes": ["nope"]},
        {"organisations": ["²"]},
        {"tags": [NUL]},
        {"title": "x" * (TITLE_MAX + 1)},
    ],
)
def test_autosave_refuses_garbled_input_in_json(people, data):
    draft = people["draft"]
    typed = {"title": "Kept", "body": "Kept words.", **data}
    response = client_for(people["author"]).post(
        reverse("stories:autosave", args=[draft.pk]), typed
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Your draft could not be saved."
    assert set(body["errors"]) == set(data)


@pytest.mark.parametrize(
    "data",
    [{}, {"themes": [Theme.HOPE]}, {"title": "Only the title"}, {"body": "Only the story"}],
)
def test_a_post_without_the_text_fields_never_blanks_the_draft(people, data):
    """The page and its script always send the title and the story (even empty); a POST
    without them is garbled, and saving it would lose what the author wrote."""
    draft = people["draft"]
    title, body = draft.title, draft.body
    client = client_for(people["author"])
    autosave = client.post(reverse("stories:autosave", args=[draft.pk]), data)
    assert autosave.status_code == 400
    assert "nothing was saved" in autosave.json()["error"]
    page = client.post(reverse("stories:edit", args=[draft.pk]), data)
    assert page.status_code == 400
    text = text_of(page)
    assert "Your changes did not arrive complete, so nothing was saved." in text
    assert title in text and body.splitlines()[0] in text
    draft.refresh_from_db()
    assert (draft.title, draft.body) == (title, body)


@pytest.mark.parametrize(
    ("title", "body", "field_message"),
    [
        ("   ", "Some words.", "Give your story a title."),
        ("A title", " \n\n \t ", "Write your story before you send it."),
        ("", "", "Give your story a title."),
    ],
)
def test_a_story_of_only_spaces_cannot_be_sent(people, title, body, field_message):
    draft = people["draft"]
    client = client_for(people["author"])
    saved = client.post(
        reverse("stories:edit", args=[draft.pk]),
        {"title": title, "body": body, "themes": [Theme.HOPE]},
    )
    assert saved.status_code == 302
    response = client.post(reverse("stories:submit", args=[draft.pk]), {"consent_public": "on"})
    assert response.status_code == 200
    assert field_message in text_of(response)
    assert Story.objects.get(pk=draft.pk).state == State.DRAFT


def test_submit_with_a_garbled_consent_says_so(people):
    draft = people["draft"]
    response = client_for(people["author"]).post(
        reverse("stories:submit", args=[draft.pk]), {"consent_public": NUL}
    )
    # A BooleanField reads any non-empty value as ticked: the story goes; never a 500.
    assert response.status_code in (200, 302)
    assert response.status_code != 500


def test_submitting_twice_sends_once(people):
    draft = people["draft"]
    client = client_for(people["author"])
    url = reverse("stories:submit", args=[draft.pk])
    first = client.post(url, {"consent_public": "on"})
    assert first.status_code == 302
    assert first["Location"] == reverse("stories:submitted", args=[draft.pk])
    second = client.post(url, {"consent_public": "on"})
    assert second.status_code == 302
    assert second["Location"] == reverse("stories:mine")
    page = client.get(second["Location"])
    assert "This story has been sent to be read, so it cannot be changed now." in text_of(page)
    assert draft.decisions.filter(to_state=State.SUBMITTED).count() == 1


def test_editing_a_story_a_moderator_has_claimed_is_refused_and_said(people):
    story = people["queued"]
    domain.story_claim(story=story, by=people["moderator"])
    client = client_for(story.author)
    for method in ("get", "post"):
        response = getattr(client, method)(
            reverse("stories:edit", args=[story.pk]), {"title": "Changed"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("stories:mine")
    autosave = client.post(reverse("stories:autosave", args=[story.pk]), {"title": "Changed"})
    assert autosave.status_code == 409
    assert "cannot be changed now" in autosave.json()["error"]
    assert Story.objects.get(pk=story.pk).title == story.title


def test_appeal_with_nul_or_nothing_is_said_and_twice_is_refused(people):
    story = StoryFactory(author=people["author"], state=State.REJECTED, reason=Reason.SPAM)
    client = client_for(people["author"])
    url = reverse("stories:appeal", args=[story.pk])
    for data, message in (
        ({}, "Tell us why you think we should look again."),
        ({"text": "   "}, "Tell us why you think we should look again."),
        ({"text": f"Please{NUL}"}, "Null characters are not allowed"),
        ({"text": "x" * 2001}, "at most 2000 characters"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in text_of(response)
    assert client.post(url, {"text": "Please look again."}).status_code == 302
    again = client.post(url, {"text": "And again."})
    assert again.status_code == 302
    assert "Appeals can be made once." in text_of(client.get(again["Location"]))
    assert Story.objects.get(pk=story.pk).appeal_text == "Please look again."


def test_an_appeal_for_a_story_withdrawn_meanwhile_is_refused_plainly(people, monkeypatch):
    """The author withdraws the story in another tab between the page's check and the appeal:
    the page says so with what was typed kept (it was a 500)."""
    story = StoryFactory(author=people["author"], state=State.REJECTED, reason=Reason.SPAM)
    appeal = domain.story_appeal

    def withdrawn_meanwhile(*, story, by, text):
        domain.story_withdraw(story=story, by=by)
        return appeal(story=story, by=by, text=text)

    monkeypatch.setattr(domain, "story_appeal", withdrawn_meanwhile)
    response = client_for(people["author"]).post(
        reverse("stories:appeal", args=[story.pk]), {"text": "Please look again."}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "A story that is “withdrawn” cannot be put back in the queue." in page
    assert "Please look again.</textarea>" in page
    story.refresh_from_db()
    assert story.state == State.WITHDRAWN and story.appeal_text == ""


def test_withdrawing_twice_and_accepting_edits_twice(people, django_capture_on_commit_callbacks):
    story = StoryFactory(
        author=people["author"],
        state=State.CHANGES_REQUESTED,
        proposed_title="A kinder title",
        consent_public_at=timezone.now(),
    )
    client = client_for(people["author"])
    accept = reverse("stories:accept_edits", args=[story.pk])
    assert client.post(accept).status_code == 302
    again = client.post(accept)
    assert again.status_code == 302
    assert "There are no suggested edits waiting for you." in text_of(client.get(again["Location"]))
    withdraw = reverse("stories:withdraw", args=[story.pk])
    assert client.post(withdraw).status_code == 302
    again = client.post(withdraw)
    assert again.status_code == 302
    assert "This story is already withdrawn." in text_of(client.get(again["Location"]))
    publish = client.post(reverse("stories:publish_now", args=[story.pk]))
    assert publish.status_code == 302
    assert "cannot be" in text_of(client.get(publish["Location"]))
    assert Story.objects.get(pk=story.pk).state == State.WITHDRAWN


# --- Readers: reports and responses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose what is wrong with the story."),
        ({"category": "nonsense"}, "Select a valid choice"),
        ({"category": NUL}, "Select a valid choice"),
        ({"category": Report.Category.SPAM, "note": f"bad{NUL}"}, "Null characters"),
        ({"category": Report.Category.SPAM, "note": "x" * 2001}, "2,000 characters or fewer"),
    ],
)
def test_a_garbled_report_is_said(people, data, message):
    story = people["published"]
    response = client_for(people["reader"]).post(reverse("stories:report", args=[story.pk]), data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert not story.reports.exists()


def test_reporting_twice_records_one_report(people):
    story = people["published"]
    client = client_for(people["reader"])
    url = reverse("stories:report", args=[story.pk])
    data = {"category": Report.Category.UNTRUE}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200
    assert "You have already reported this story." in text_of(again)
    assert story.reports.count() == 1


def test_reporting_a_story_withdrawn_meanwhile_is_404(people):
    story = people["published"]
    domain.story_withdraw(story=story, by=people["author"])
    response = client_for(people["reader"]).post(
        reverse("stories:report", args=[story.pk]), {"category": Report.Category.SPAM}
    )
    assert response.status_code == 404
    assert not story.reports.exists()


def test_the_author_cannot_report_their_own_story(people):
    story = people["published"]
    response = client_for(people["author"]).post(
        reverse("stories:report", args=[story.pk]), {"category": Report.Category.SPAM}
    )
    assert response.status_code == 403
    assert not story.reports.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": ""}, "Write your response."),
        ({"body": "   "}, "Write your response."),
        ({"body": f"Thanks{NUL}"}, "Null characters are not allowed"),
        ({"body": "word " * 401}, "Responses can be up to 400 words."),
        ({"body": "Thanks", "organisation": "abc"}, "Select a valid choice"),
        ({"body": "Thanks", "organisation": NUL}, "Null characters are not allowed"),
        ({"body": "Thanks", "organisation": "999999999"}, "Select a valid choice"),
    ],
)
def test_a_garbled_response_is_said_and_kept(people, data, message):
    story = people["published"]
    data = {"organisation": people["organisation"].pk, **data}
    response = client_for(people["member"]).post(reverse("stories:respond", args=[story.pk]), data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert not Response.objects.filter(story=story).exists()


def test_responding_twice_sends_one_response(people):
    story = people["published"]
    client = client_for(people["member"])
    url = reverse("stories:respond", args=[story.pk])
    data = {"organisation": people["organisation"].pk, "body": "Thank you for this."}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("stories:respond_sent", args=[story.pk])
    assert Response.objects.filter(story=story).count() == 1


def test_responding_to_a_story_withdrawn_meanwhile_is_404(people):
    story = people["published"]
    domain.story_withdraw(story=story, by=people["author"])
    response = client_for(people["member"]).post(
        reverse("stories:respond", args=[story.pk]),
        {"organisation": people["organisation"].pk, "body": "Thanks"},
    )
    assert response.status_code == 404
    assert not Response.objects.filter(story=story).exists()


# --- Moderators: garbled posts, double submission, state changed meanwhile ----------------------


def claimed(people):
    story = people["queued"]
    domain.story_claim(story=story, by=people["moderator"])
    return story


MODERATION_GARBLED = [
    ("story_note", {}, "Write the note first."),
    ("story_note", {"note-text": "   "}, "Write the note first."),
    ("story_note", {"note-text": f"a{NUL}b"}, "Null characters are not allowed"),
    ("story_approve", {"approve-note": NUL}, "Null characters are not allowed"),
    ("story_request_changes", {}, "Choose a reason."),
    (
        "story_request_changes",
        {"changes-reason": NUL, "changes-note": "Please"},
        "Choose a reason.",
    ),
    (
        "story_request_changes",
        {"changes-reason": Reason.IDENTIFYING_DETAILS, "changes-note": "  "},
        "Write a note to the author saying what to change and why.",
    ),
    (
        "story_request_changes",
        {
            "changes-reason": Reason.IDENTIFYING_DETAILS,
            "changes-note": "Please",
            "changes-proposed_title": "x" * (TITLE_MAX + 1),
        },
        f"Keep the title to {TITLE_MAX} characters or fewer.",
    ),
    (
        "story_request_changes",
        {
            "changes-reason": Reason.IDENTIFYING_DETAILS,
            "changes-note": "Please",
            "changes-proposed_body": NUL,
        },
        "Null characters are not allowed",
    ),
    ("story_reject", {"reject-reason": "nonsense", "reject-note": "x"}, "Choose a reason."),
    ("story_reject", {"reject-reason": Reason.SPAM}, "Write a note to the author saying why"),
    ("story_hold", {"hold-risk": "extreme", "hold-note": "x"}, "Choose a risk level."),
    ("story_hold", {"hold-risk": "high", "hold-note": NUL}, "Null characters are not allowed"),
]


@pytest.mark.parametrize(("name", "data", "message"), MODERATION_GARBLED)
def test_a_garbled_moderation_action_is_a_400_with_the_message(people, name, data, message):
    story = claimed(people)
    client = client_for(people["moderator"])
    response = client.post(reverse(f"moderation:{name}", args=[story.pk]), data)
    assert response.status_code == 400
    text = text_of(response)
    assert message in text
    assert "<title>Error: " in text
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("story_hide", {"hide-reason": NUL}, "Choose a reason."),
        ("story_hide", {}, "Choose a reason."),
        ("story_remove", {"remove-reason": Reason.SPAM}, "Write a note to the author"),
        ("story_remove", {"remove-reason": "x", "remove-note": "y"}, "Choose a reason."),
        ("story_restore", {"restore-note": NUL}, "Null characters are not allowed"),
    ],
)
def test_a_garbled_action_on_a_published_story_is_a_400(people, name, data, message):
    story = people["published"]
    response = client_for(people["moderator"]).post(
        reverse(f"moderation:{name}", args=[story.pk]), data
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert Story.objects.get(pk=story.pk).state == State.PUBLISHED


def test_claiming_twice_renews_and_a_second_moderator_is_refused(people):
    story = people["queued"]
    url = reverse("moderation:story_claim", args=[story.pk])
    client = client_for(people["moderator"])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert story.decisions.filter(reason=Reason.CLAIM).count() == 1
    other = client_for(moderator())
    refused = other.post(url)
    assert refused.status_code == 400
    assert "Another moderator is already reading this story." in text_of(refused)
    assert other.post(reverse("moderation:story_release", args=[story.pk])).status_code == 400


def test_approving_twice_publishes_once(people):
    story = claimed(people)
    client = client_for(people["moderator"])
    url = reverse("moderation:story_approve", args=[story.pk])
    assert client.post(url, {}).status_code == 302
    again = client.post(url, {})
    assert again.status_code == 400
    assert "cannot be approved" in text_of(again)
    assert story.decisions.filter(to_state=State.PUBLISHED).count() == 1


@pytest.mark.parametrize(
    ("name", "data", "verb"),
    [
        ("story_approve", {"approve-note": "Lovely"}, "approved"),
        (
            "story_request_changes",
            {"changes-reason": Reason.IDENTIFYING_DETAILS, "changes-note": "Take out the name"},
            "sent back",
        ),
        ("story_reject", {"reject-reason": Reason.SPAM, "reject-note": "Sorry"}, "rejected"),
        ("story_hold", {"hold-risk": "high", "hold-note": "Worried"}, "held"),
    ],
)
def test_a_story_withdrawn_while_a_moderator_has_it_open(people, name, data, verb):
    """The author withdraws while the moderator reads: the moderator's action is refused
    with a 400 that says why, what they typed is kept, and the story stays withdrawn."""
    story = claimed(people)
    client = client_for(people["moderator"])
    assert client.get(reverse("moderation:story", args=[story.pk])).status_code == 200
    domain.story_withdraw(story=story, by=story.author)
    response = client.post(reverse(f"moderation:{name}", args=[story.pk]), data)
    assert response.status_code == 400
    text = text_of(response)
    assert "withdrawn" in text.lower()
    assert "<title>Error: " in text
    for value in data.values():
        if len(value) > 8:
            assert value in text
    assert Story.objects.get(pk=story.pk).state == State.WITHDRAWN
    assert not SafeguardingCase.objects.filter(story=story).exists()


def test_a_response_decided_twice_is_a_400(people):
    story = people["published"]
    response = Response.objects.create(
        story=story, organisation=people["organisation"], author=people["member"], body="Hi"
    )
    client = client_for(people["moderator"])
    approve = reverse("moderation:response_approve", args=[response.pk])
    reject = reverse("moderation:response_reject", args=[response.pk])
    garbled = client.post(reject, {f"r{response.pk}-reason": NUL})
    assert garbled.status_code == 400
    assert "Choose a reason." in text_of(garbled)
    assert client.post(approve).status_code == 302
    again = client.post(approve)
    assert again.status_code == 400
    assert "This response has already been decided." in text_of(again)
    late = client.post(reject, {f"r{response.pk}-reason": Reason.SPAM})
    assert late.status_code == 400
    assert "This response has already been decided." in text_of(late)


def test_bulk_spam_skips_a_story_withdrawn_meanwhile(people):
    story = people["queued"]
    domain.story_withdraw(story=story, by=story.author)
    client = client_for(people["moderator"])
    response = client.post(
        reverse("moderation:spam"), {"stories": [str(story.pk), UNKNOWN, NUL], "confirm": "on"}
    )
    assert response.status_code == 302
    assert "0 stories marked as spam." in text_of(client.get(response["Location"]))
    assert Story.objects.get(pk=story.pk).state == State.WITHDRAWN


# --- Safeguarding cases -------------------------------------------------------------------------


@pytest.fixture
def case(people):
    from stories import safeguarding

    story = StoryFactory(state=State.HELD_SAFEGUARDING, queued_at=timezone.now())
    return safeguarding.case_open(
        story=story,
        person=story.author,
        source=SafeguardingCase.Source.SCREENING,
        risk=SafeguardingCase.Risk.HIGH,
        summary="Crisis language.",
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("case_contact_author", {}, "Say how you contacted the author"),
        ("case_contact_author", {"contact-note": f"x{NUL}"}, "Null characters are not allowed"),
        ("case_request_escalation", {"escalate-reason": "  "}, "Say why this needs escalating"),
        ("case_close", {"close-note": "x" * 20_000}, "Keep it under"),
    ],
)
def test_a_garbled_case_step_is_a_400(people, case, name, data, message):
    response = client_for(people["moderator"]).post(
        reverse(f"moderation:{name}", args=[case.pk]), data
    )
    assert response.status_code == 400
    assert message in text_of(response)


def test_a_closed_case_refuses_further_steps(people, case):
    client = client_for(people["moderator"])
    close = reverse("moderation:case_close", args=[case.pk])
    assert client.post(close, {"close-note": "Spoke to them; safe."}).status_code == 302
    again = client.post(close, {"close-note": "Twice"})
    assert again.status_code == 400
    assert client.post(reverse("moderation:case_acknowledge", args=[case.pk])).status_code == 400


def test_the_requester_cannot_confirm_their_own_escalation(people, case):
    client = client_for(people["moderator"])
    asked = client.post(
        reverse("moderation:case_request_escalation", args=[case.pk]),
        {"escalate-reason": "Call the crisis team."},
    )
    assert asked.status_code == 302
    confirm = client.post(reverse("moderation:case_confirm_escalation", args=[case.pk]))
    assert confirm.status_code == 400
    case.refresh_from_db()
    assert case.status != SafeguardingCase.Status.ESCALATED


def test_an_expired_claim_does_not_block_another_moderator(people):
    story = claimed(people)
    Story.objects.filter(pk=story.pk).update(claim_expires_at=timezone.now() - timedelta(1))
    response = client_for(moderator()).post(reverse("moderation:story_claim", args=[story.pk]))
    assert response.status_code == 302
