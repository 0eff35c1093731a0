"""An author's pages: write, save as you go, preview, send, and My stories. Refusals included:
nobody reaches another person's draft, a sent story cannot be edited, bad input loses nothing."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from stories import domain
from stories.models import (
    WORD_LIMIT,
    ContentNote,
    Decision,
    Reason,
    State,
    Story,
    Tag,
    Theme,
)
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.events import EventFactory
from tests.factories.services import ServiceFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = pytest.mark.django_db

MON_FRI = "Mon\N{EN DASH}Fri"

QUIET_BODY = (
    "I joined a community garden in spring. Digging beds with other people gave my week a "
    "shape.\n\nNow I help new volunteers find their feet."
)


@pytest.fixture
def author():
    return UserFactory()


@pytest.fixture
def draft(author):
    return StoryFactory(author=author, body=QUIET_BODY)


@pytest.fixture
def signed_in(client, author):
    client.force_login(author)
    return client


def url(name, story) -> str:
    return f"/stories/{story.pk}/{name}/"


def form_data(**fields) -> dict:
    data = {
        "title": "Finding my feet",
        "body": QUIET_BODY,
        "themes": [Theme.CONNECTEDNESS, Theme.HOPE],
        "action": "save",
    }
    data.update(fields)
    return data


def page(response) -> str:
    return response.content.decode()


def requested_changes(story, **fields):
    story = domain.story_submit(story=story, by=story.author, consent_public=True)
    mod = moderator()
    domain.story_claim(story=story, by=mod)
    return domain.story_request_changes(
        story=story,
        by=mod,
        reason=Reason.IDENTIFYING_DETAILS,
        note="Please take out the name of the ward.",
        **fields,
    )


# --- Starting a story -----------------------------------------------------------------------------


def test_write_needs_an_account(client):
    response = client.get("/stories/write/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post("/stories/write/").status_code == 302
    assert Story.objects.count() == 0


def test_looking_at_the_start_page_makes_no_draft_starting_does(signed_in, author):
    response = signed_in.get("/stories/write/")
    assert response.status_code == 200
    assert "Up to 1,500 words" in page(response) or "up to 1,500 words" in page(response)
    assert Story.objects.count() == 0

    response = signed_in.post("/stories/write/")

    story = Story.objects.get()
    assert story.author == author and story.state == State.DRAFT
    assert response["Location"] == f"/stories/{story.pk}/edit/"
    # Starting again before typing anything reuses that empty draft.
    assert signed_in.post("/stories/write/")["Location"] == f"/stories/{story.pk}/edit/"
    assert Story.objects.count() == 1


# --- The form -------------------------------------------------------------------------------------


def test_the_form_says_the_limit_when_stories_are_read_and_links_the_safety_policy(
    signed_in, draft
):
    html = page(signed_in.get(url("edit", draft)))

    assert f"Up to {WORD_LIMIT:,} words" in html
    assert 'data-maxwords="1500"' in html  # the live count (NHS.UK character count)
    assert f"Stories are read {MON_FRI}, 9am to 5pm. This is not a crisis service." in html
    assert 'href="/safety-policy/"' in html
    assert 'aria-live="polite"' in html and "data-draft-status" in html
    assert f'data-autosave-url="/stories/{draft.pk}/autosave/"' in html
    assert "Wait 48 hours after approval before publishing, so I can change my mind" in html
    # A one-line hint for each theme, and why content notes matter.
    assert "Taking back control" in html
    assert "nobody comes across something upsetting without warning" in html
    for tag in Tag.objects.all()[:3]:
        assert tag.name in html


def test_save_draft_keeps_every_field(signed_in, draft):
    service = ServiceFactory(name="Northfield Walking Group")
    event = EventFactory(title="Recovery College open day")
    organisation = OrganisationFactory(name="Northfield Mind")
    tags = list(Tag.objects.all()[:2])

    response = signed_in.post(
        url("edit", draft),
        form_data(
            content_notes=[ContentNote.DETENTION],
            tags=[t.pk for t in tags],
            services=[service.pk],
            events=[event.pk],
            organisations=[organisation.pk],
            consent_partners="on",
            wants_cooling_off="on",
        ),
    )

    assert response.status_code == 302 and response["Location"] == url("edit", draft)
    draft.refresh_from_db()
    assert draft.title == "Finding my feet"
    assert draft.body == QUIET_BODY
    assert draft.themes == [Theme.CONNECTEDNESS, Theme.HOPE]
    assert draft.content_notes == [ContentNote.DETENTION]
    assert set(draft.tags.all()) == set(tags)
    assert list(draft.services.all()) == [service]
    assert list(draft.events.all()) == [event]
    assert list(draft.organisations.all()) == [organisation]
    assert draft.consent_partners_at is not None and draft.consent_training_at is None
    assert draft.wants_cooling_off is True

    html = page(signed_in.get(url("edit", draft)))
    assert "Draft saved at" in html
    assert "Northfield Walking Group" in html and "Northfield Mind" in html
    assert "You agreed on" in html  # the date consent was given


def test_find_lists_matches_from_the_directory_and_keeps_the_draft(signed_in, draft):
    ServiceFactory(name="Hearing Voices Group")
    ServiceFactory(name="Voices Closed Down", status="defunct")
    EventFactory(title="Voices in Harmony choir")

    response = signed_in.post(
        url("edit", draft), form_data(title="Kept", find="voices", action="find")
    )

    assert response.status_code == 302
    assert response["Location"] == f"/stories/{draft.pk}/edit/?find=voices#helped"
    draft.refresh_from_db()
    assert draft.title == "Kept"
    html = page(signed_in.get(response["Location"]))
    assert "Hearing Voices Group" in html
    assert "Voices in Harmony choir" in html
    assert "Voices Closed Down" not in html  # only active services

    html = page(signed_in.get(url("edit", draft) + "?find=zzzz"))
    assert "Nothing in the directory has a name with “zzzz” in it." in html


def test_preview_saves_and_goes_to_the_preview(signed_in, draft):
    response = signed_in.post(url("edit", draft), form_data(title="New title", action="preview"))

    assert response["Location"] == url("preview", draft)
    draft.refresh_from_db()
    assert draft.title == "New title"


def test_a_title_too_long_is_said_next_to_it_and_what_was_typed_stays(signed_in, draft):
    long_title = "A" * 121
    response = signed_in.post(url("edit", draft), form_data(title=long_title, body="Kept words."))

    html = page(response)
    assert response.status_code == 200
    assert html.count("<title>Error: ") == 1
    assert 'id="id_title-error"' in html and "Titles can be up to 120 characters" in html
    assert f'value="{long_title}"' in html
    assert "Kept words." in html


# --- Nobody else reaches a draft ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["edit", "preview", "submitted", "withdraw", "appeal"])
def test_pages_need_an_account(client, draft, name):
    response = client.get(url(name, draft))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "name", ["edit", "preview", "submitted", "withdraw", "appeal", "accept-edits"]
)
def test_nobody_can_read_another_persons_draft(client, draft, name):
    draft.body = "My private words nobody else should see."
    draft.save()
    for other in (UserFactory(), moderator()):
        client.force_login(other)
        response = client.get(url(name, draft))
        assert response.status_code == 404
        assert "My private words" not in page(response)


def test_nobody_else_can_save_submit_or_withdraw(client, draft):
    client.force_login(UserFactory())

    assert client.post(url("edit", draft), form_data(title="Hijacked")).status_code == 404
    assert client.post(url("autosave", draft), form_data(title="Hijacked")).status_code == 404
    assert client.post(url("submit", draft), {"consent_public": "on"}).status_code == 404
    assert client.post(url("withdraw", draft)).status_code == 404
    draft.refresh_from_db()
    assert draft.title != "Hijacked" and draft.state == State.DRAFT


def test_editing_a_sent_story_is_refused(signed_in, draft):
    domain.story_submit(story=draft, by=draft.author, consent_public=True)
    draft.refresh_from_db()
    assert draft.state == State.AWAITING_REVIEW

    response = signed_in.get(url("edit", draft))
    assert response.status_code == 302 and response["Location"] == "/stories/mine/"
    followed = signed_in.get("/stories/mine/")
    assert "has been sent to be read, so it cannot be changed now" in page(followed)

    signed_in.post(url("edit", draft), form_data(title="Changed after sending"))
    response = signed_in.post(url("autosave", draft), form_data(title="Changed after sending"))
    assert response.status_code == 409
    assert "cannot be changed now" in response.json()["error"]
    assert signed_in.get(url("preview", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.title != "Changed after sending"


# --- Saving as you type ---------------------------------------------------------------------------


def test_autosave_saves_and_answers_with_the_time(signed_in, draft):
    response = signed_in.post(url("autosave", draft), form_data(body="Typed so far"))

    assert response.status_code == 200
    data = response.json()
    draft.refresh_from_db()
    assert draft.body == "Typed so far"
    assert data["saved_at"] == draft.updated_at.isoformat()
    assert re.fullmatch(r"\d\d:\d\d", data["saved_at_text"])
    assert data["words"] == 3


def test_autosave_is_post_only_with_a_csrf_token(author, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)

    assert client.get(url("autosave", draft)).status_code == 405
    assert client.post(url("autosave", draft), form_data(body="No token")).status_code == 403

    client.get(url("edit", draft))
    token = client.cookies["csrftoken"].value
    response = client.post(
        url("autosave", draft), form_data(body="With token"), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.body == "With token"


def test_autosave_answers_json_for_bad_input_and_no_session(client, signed_in, draft):
    response = signed_in.post(url("autosave", draft), form_data(title="T" * 200))
    assert response.status_code == 400
    assert "title" in response.json()["errors"]

    signed_in.logout()
    response = signed_in.post(url("autosave", draft), form_data())
    assert response.status_code == 401
    assert "error" in json.loads(response.content)


# --- Too long, and markup -------------------------------------------------------------------------


def test_an_over_long_story_is_kept_with_a_message_next_to_it(signed_in, draft):
    body = " ".join(["word"] * (WORD_LIMIT + 100)) + " lastword"

    response = signed_in.post(url("edit", draft), form_data(body=body, action="preview"))

    html = page(response)
    assert response.status_code == 200
    assert "<title>Error: " in html
    error = html[html.index('id="id_body-error"') :][:400]
    assert "Your story is 1,601 words. Stories can be up to 1,500 words" in error
    assert "lastword" in html  # the text is still in the box
    draft.refresh_from_db()
    assert draft.body == body  # and saved: a draft never refuses for length

    # Coming back later, the message is there again.
    html = page(signed_in.get(url("edit", draft)))
    assert 'id="id_body-error"' in html and "1,601 words" in html


def test_sending_an_over_long_story_shows_the_message_by_the_story_and_loses_nothing(
    signed_in, draft
):
    draft.body = " ".join(["word"] * (WORD_LIMIT + 1)) + " lastword"
    draft.save()

    response = signed_in.post(url("submit", draft), {"consent_public": "on"})

    html = page(response)
    assert response.status_code == 200
    error = html[html.index('id="id_body-error"') :][:400]
    assert "Your story is 1,502 words" in error
    assert "lastword" in html
    assert draft.title in html
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.body.endswith("lastword")


def test_script_in_title_and_body_is_stored_as_typed_and_shown_inert(signed_in, draft):
    title = "<script>alert('t')</script> My story"
    body = "Para one <script>alert('b')</script>\n\n<b>bold?</b> <img src=x onerror=alert(1)>"

    signed_in.post(url("edit", draft), form_data(title=title, body=body))

    draft.refresh_from_db()
    assert draft.title == title and draft.body == body
    for name in ("edit", "preview"):
        html = page(signed_in.get(url(name, draft)))
        assert "<script>alert(" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; My story" in html
        assert "&lt;script&gt;alert(&#x27;b&#x27;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    html = page(signed_in.get("/stories/mine/"))
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; My story" in html


# --- Preview and sending --------------------------------------------------------------------------


def test_preview_warns_about_a_phone_number(signed_in, draft):
    draft.body = "Call me on 07700 900123 if you want to join the walk.\n\nSee you there."
    draft.content_notes = [ContentNote.SELF_HARM]
    draft.save()

    html = page(signed_in.get(url("preview", draft)))

    callout = html[html.index('id="identifying-details"') :]
    callout = callout[: callout.index("</div>")]
    assert "07700 900123" in callout
    assert "phone number" in callout.lower()
    assert f'href="/stories/{draft.pk}/edit/"' in callout
    # As it will look: the pseudonym, the content note collapsed.
    assert f"By {draft.author.profile.pseudonym}" in html
    assert '<details class="nhsuk-details" id="story-text">' in html
    assert draft.author.email not in html


def test_preview_words_the_content_notes_as_readers_will_see_them(signed_in, draft):
    draft.content_notes = [ContentNote.DETENTION, ContentNote.SELF_HARM]
    draft.save()

    html = page(signed_in.get(url("preview", draft)))

    assert "<strong>Content note: detention under the Mental Health Act, self-harm</strong>" in html
    assert (
        "This story mentions detention under the Mental Health Act and self-harm. Open the story"
        in html
    )


def test_submit_without_consent_says_so_by_the_box(signed_in, draft):
    response = signed_in.post(url("submit", draft), {})

    html = page(response)
    assert response.status_code == 200
    assert 'id="id_consent_public-error"' in html
    assert "Tick the box to agree to your story being published" in html
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_submit_without_a_theme_goes_back_to_the_form_with_the_message(signed_in, draft):
    draft.themes = []
    draft.save()

    response = signed_in.post(url("submit", draft), {"consent_public": "on"})

    html = page(response)
    assert 'id="id_themes-error"' in html
    assert "Choose at least one theme" in html
    assert QUIET_BODY.split("\n")[0][:40] in html


def test_submit_sends_the_story_and_thanks_the_author(signed_in, draft):
    response = signed_in.post(url("submit", draft), {"consent_public": "on"})

    assert response["Location"] == url("submitted", draft)
    draft.refresh_from_db()
    assert draft.state == State.AWAITING_REVIEW
    assert draft.consent_public_at is not None
    html = page(signed_in.get(url("submitted", draft)))
    assert "Your story has been sent" in html
    assert 'id="support-for-author"' not in html  # only when held
    assert f"{MON_FRI}, 9am to 5pm" in html


def test_a_held_story_shows_the_author_support_at_once(signed_in, draft):
    Story.objects.filter(pk=draft.pk).update(state=State.HELD_SAFEGUARDING)

    html = page(signed_in.get(url("submitted", draft)))

    main = html[html.index("<main") :]
    assert 'id="support-for-author"' in main
    assert "Samaritans" in main and "116 123" in main


# --- My stories -----------------------------------------------------------------------------------


def test_my_stories_shows_states_reasons_and_actions(signed_in, author):
    draft = StoryFactory(author=author, title="Still writing")
    changes = requested_changes(
        StoryFactory(author=author, title="Needs a change", body=QUIET_BODY)
    )
    rejected = queued_story(author=author, title="Turned down")
    mod = moderator()
    domain.story_claim(story=rejected, by=mod)
    domain.story_reject(
        story=rejected, by=mod, reason=Reason.NOT_A_STORY, note="We could not see the story here."
    )
    published = published_story(author=author, title="Out there")
    cooling = StoryFactory(
        author=author,
        title="Waiting a while",
        state=State.APPROVED,
        approved_at=timezone.now(),
        publish_after=timezone.now() + timedelta(hours=47),
    )
    StoryFactory(title="Someone else's story")

    html = page(signed_in.get("/stories/mine/"))

    assert "Someone else&#x27;s story" not in html
    for story, label in [
        (draft, "Draft"),
        (changes, "Changes requested"),
        (rejected, "Not published"),
        (published, "Published"),
        (cooling, "Approved"),
    ]:
        card = html[html.index(f'id="story-{story.pk}"') :]
        card = card[: card.index("</li>\n")]
        assert story.title in card and label in card
    assert "Contains details that could identify someone" in html
    assert "Please take out the name of the ward." in html
    assert "We could not see the story here." in html
    assert f'href="/stories/{draft.pk}/edit/"' in html
    assert f'href="/stories/{changes.pk}/edit/"' in html
    assert f'href="/stories/{rejected.pk}/appeal/"' in html
    assert f'action="/stories/{cooling.pk}/publish-now/"' in html
    assert f'href="/stories/{published.pk}/withdraw/"' in html
    assert f'href="/stories/{published.pk}/edit/"' not in html


def test_my_stories_query_count_is_fixed(signed_in, author, django_assert_max_num_queries):
    StoryFactory(author=author)
    with django_assert_max_num_queries(6) as few:
        signed_in.get("/stories/mine/")
    for state in (State.DRAFT, State.REJECTED, State.PUBLISHED, State.CHANGES_REQUESTED):
        StoryFactory.create_batch(3, author=author, state=state, reason=Reason.OTHER)
    with django_assert_max_num_queries(len(few.captured_queries)):
        signed_in.get("/stories/mine/")


def test_edit_page_query_count_does_not_grow_with_links(
    signed_in, draft, django_assert_max_num_queries
):
    draft.services.add(ServiceFactory())
    draft.events.add(EventFactory())
    draft.organisations.add(OrganisationFactory())
    with django_assert_max_num_queries(15) as few:
        signed_in.get(url("edit", draft) + "?find=group")
    draft.services.add(*ServiceFactory.create_batch(4, name="Walking group"))
    draft.events.add(*EventFactory.create_batch(3))
    draft.organisations.add(*OrganisationFactory.create_batch(3))
    draft.tags.add(*Tag.objects.all()[:4])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = signed_in.get(url("edit", draft) + "?find=group")
    assert page(response).count("Walking group") >= 4


def test_accept_suggested_edits_side_by_side(signed_in, author):
    story = requested_changes(
        StoryFactory(author=author, title="On Ward 7", body=QUIET_BODY),
        proposed_title="On the ward",
        proposed_body=QUIET_BODY.replace("community garden", "garden project"),
    )

    html = page(signed_in.get(url("accept-edits", story)))
    assert "<del>I joined a community garden" in html
    assert "<ins>I joined a garden project" in html
    assert "On Ward 7" in html and "On the ward" in html

    response = signed_in.post(url("accept-edits", story))

    assert response["Location"] == "/stories/mine/"
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert story.title == "On the ward" and "garden project" in story.body


def test_publish_now_skips_the_wait(signed_in, author):
    story = StoryFactory(
        author=author,
        state=State.APPROVED,
        approved_at=timezone.now(),
        publish_after=timezone.now() + timedelta(hours=40),
        wants_cooling_off=True,
    )

    signed_in.post(url("publish-now", story))

    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert Decision.objects.filter(story=story, reason=Reason.AUTHOR_PUBLISHED_NOW).exists()


def test_appeal_once(signed_in, author):
    story = queued_story(author=author)
    mod = moderator()
    domain.story_claim(story=story, by=mod)
    domain.story_reject(story=story, by=mod, reason=Reason.OTHER, note="Not this time.")

    response = signed_in.post(url("appeal", story), {"text": ""})
    assert 'id="id_text-error"' in page(response)

    response = signed_in.post(url("appeal", story), {"text": "I took the names out already."})
    assert response["Location"] == "/stories/mine/"
    story.refresh_from_db()
    assert story.state == State.AWAITING_REVIEW and story.appeal_text

    domain.story_claim(story=story, by=mod)
    domain.story_reject(story=story, by=mod, reason=Reason.OTHER, note="Still not.")
    response = signed_in.get(url("appeal", story))
    assert response["Location"] == "/stories/mine/"
    signed_in.post(url("appeal", story), {"text": "Again"})
    story.refresh_from_db()
    assert story.state == State.REJECTED


def test_withdraw_asks_first_then_hides_it(signed_in, author):
    story = published_story(author=author)

    html = page(signed_in.get(url("withdraw", story)))
    assert "This hides it everywhere at once" in html
    story.refresh_from_db()
    assert story.state == State.PUBLISHED

    response = signed_in.post(url("withdraw", story))

    assert response["Location"] == "/stories/mine/"
    story.refresh_from_db()
    assert story.state == State.WITHDRAWN
    assert Client().get(story.get_absolute_url()).status_code == 404  # for readers, at once


# --- The safety policy ----------------------------------------------------------------------------


def test_safety_policy_says_what_we_publish_when_we_read_and_where_to_get_help(client):
    html = page(client.get("/safety-policy/"))
    main = html[html.index("<main") :]

    assert "Next review:" in main
    assert f"{MON_FRI}, 9am to 5pm" in main and "not a crisis service" in main
    assert "methods of self-harm or suicide" in main
    assert "Graphic descriptions" in main and "Images" in main
    assert "If we are worried about you" in main
    assert "Samaritans" in main and "116 123" in main
