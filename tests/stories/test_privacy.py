"""Privacy and permissions across every stories surface.

An author with a distinctive email, display name and user id publishes a story through the
domain; an organisation responds and a reader reports it. Then every public or reader-facing
surface (list, story page, feed, API list and detail, report thanks, transparency page, the
author's emails, the moderators' digest and safeguarding alert) is searched for the author's
identity, and the author's own pages and emails for the reporter's. Then who may reach what:
every /moderation/ URL refuses visitors, members and moderators without two-step verification;
every author action refuses anyone but the author; only members of a verified, linked
organisation may respond.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile, Role
from stories import digest, domain
from stories.models import Report, Response, SafeguardingCase, State, Story, Theme
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = pytest.mark.django_db

AUTHOR_ID = 987_654_321
AUTHOR_EMAIL = "priya.sharma.test@example.org"
AUTHOR_NAME = "Priya Sharma-Test"
AUTHOR_PSEUDONYM = "Quiet Heron"
REPORTER_ID = 987_650_001
REPORTER_EMAIL = "reggie.reporter.test@example.org"
REPORTER_NAME = "Reggie Reporter-Test"
REPORT_NOTE = "Reggie's own words about the story"
RESPONDER_NAME = "Rhona Responder-Test"
TITLE = "The allotment that kept me going"
BODY = (
    "In the worst winter I had, a neighbour lent me a spade.\n\n"
    "By spring I was going to the allotment every morning, and talking to people again."
)
AUTHOR_MARKS = (AUTHOR_EMAIL, AUTHOR_NAME, str(AUTHOR_ID), "priya.sharma")
REPORTER_MARKS = (REPORTER_EMAIL, REPORTER_NAME, str(REPORTER_ID), REPORT_NOTE, "reggie")
STORY_TEXT = (TITLE, "a neighbour lent me a spade", "allotment every morning")
IDENTITY_KEYS = {"author", "author_id", "user", "user_id", "email", "display_name", "reporter"}


def person(pk, email, name, pseudonym=""):
    user = UserFactory(id=pk, email=email)
    fields = {"display_name": name}
    if pseudonym:
        fields["pseudonym"] = pseudonym
    Profile.objects.filter(user=user).update(**fields)
    user.refresh_from_db()
    return user


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_clean(text: str, marks, where: str) -> None:
    lowered = text.lower()
    for mark in marks:
        assert mark.lower() not in lowered, f"{mark!r} found in {where}"


def identity_keys(value) -> set[str]:
    """Every key anywhere in parsed JSON that names a person."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in IDENTITY_KEYS:
                found.add(key)
            found |= identity_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= identity_keys(item)
    return found


def mail_text(message) -> str:
    return f"{message.subject}\n{message.body}"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """A story written, screened, approved and published through the domain, with a published
    organisation response and a reader's report; the mail sent on the way is kept."""
    author = person(AUTHOR_ID, AUTHOR_EMAIL, AUTHOR_NAME, AUTHOR_PSEUDONYM)
    reporter = person(REPORTER_ID, REPORTER_EMAIL, REPORTER_NAME)
    mod = moderator()
    organisation = OrganisationFactory(name="Northfield Allotment Trust")
    responder = MembershipFactory(organisation=organisation).user
    Profile.objects.filter(user=responder).update(display_name=RESPONDER_NAME)

    with django_capture_on_commit_callbacks(execute=True):
        story = domain.story_create(author=author)
        domain.story_save_draft(
            story=story,
            by=author,
            title=TITLE,
            body=BODY,
            themes=[Theme.CONNECTEDNESS, Theme.HOPE],
            organisations=[organisation],
        )
        story = domain.story_submit(story=story, by=author, consent_public=True)
        # Held only if screening ran over its time budget on a busy machine; either way a
        # moderator claims and approves it.
        assert story.state in (State.AWAITING_REVIEW, State.HELD_SAFEGUARDING), story.flags
        domain.story_claim(story=story, by=mod)
        story = domain.story_approve(story=story, by=mod)
        assert story.state == State.PUBLISHED
        response = domain.response_create(
            story=story,
            by=responder,
            organisation=organisation,
            body="Thank you for telling people about the allotment.",
        )
        domain.response_approve(response=response, by=mod)
        domain.report_create(
            story=story, by=reporter, category=Report.Category.UNTRUE, note=REPORT_NOTE
        )
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    return {
        "author": author,
        "reporter": reporter,
        "moderator": mod,
        "responder": responder,
        "organisation": organisation,
        "story": story,
    }


# --- The author's identity stays off every public and reader-facing surface --------------------


def test_public_pages_feed_and_api_never_carry_the_author(world):
    story = world["story"]
    pages = {
        "list": "/stories/",
        "search": "/stories/?q=allotment",
        "story page": story.get_absolute_url(),
        "feed": "/stories/feed/",
        "transparency": "/stories/transparency/",
    }
    for viewer in (None, world["reporter"], world["responder"], UserFactory()):
        client = client_for(viewer)
        for where, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (where, response.status_code)
            text = response.content.decode()
            assert_clean(text, AUTHOR_MARKS, where)
            assert_clean(text, (RESPONDER_NAME,), where)
            assert "author_id" not in text
        story_page = client.get(story.get_absolute_url()).content.decode()
        assert AUTHOR_PSEUDONYM in story_page
        assert "Thank you for telling people about the allotment." in story_page


def test_the_api_never_carries_the_author(world):
    story = world["story"]
    client = client_for()
    for url in ("/api/v1/stories/", f"/api/v1/stories/{story.pk}/", "/api/v1/stories/?q=spade"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert_clean(text, AUTHOR_MARKS, url)
        assert_clean(text, (RESPONDER_NAME, REPORTER_NAME, REPORT_NOTE), url)
        data = json.loads(text)
        assert identity_keys(data) == set(), url
        assert AUTHOR_PSEUDONYM in text


def test_report_thanks_shows_neither_author_nor_report(world):
    client = client_for(world["reporter"])
    response = client.get(reverse("stories:report_thanks", args=[world["story"].pk]))
    assert response.status_code == 200
    assert_clean(response.content.decode(), AUTHOR_MARKS, "report thanks")


def test_the_authors_emails_carry_no_names_title_or_text(world):
    author_mail = [m for m in mail.outbox if m.to == [AUTHOR_EMAIL]]
    assert author_mail, "the author is told their story is published"
    for message in author_mail:
        text = mail_text(message)
        assert_clean(text, (AUTHOR_NAME, str(AUTHOR_ID)), "author email")
        assert_clean(text, STORY_TEXT, "author email")
        assert_clean(text, REPORTER_MARKS, "author email")
        assert AUTHOR_EMAIL not in message.body


def test_the_digest_carries_no_author_and_no_story_text(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(digest, "SEND_FROM_HOUR", 0)  # whatever the hour this test runs at
    StoryFactory(
        author=world["author"], state=State.AWAITING_REVIEW, queued_at=world["story"].queued_at
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.send_digests() >= 1
    assert mail.outbox
    for message in mail.outbox:
        text = mail_text(message)
        assert_clean(text, AUTHOR_MARKS, "digest")
        assert_clean(text, STORY_TEXT, "digest")
        assert_clean(text, REPORTER_MARKS, "digest")


def test_an_at_risk_report_alerts_moderators_without_naming_anyone(
    world, django_capture_on_commit_callbacks
):
    """The safeguarding alert (to moderators) and the author's "hidden" email: neither names
    the author or the reporter, nor quotes the story or the report."""
    story = world["story"]
    worried = person(REPORTER_ID + 1, "wendy.worried.test@example.org", "Wendy Worried-Test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        domain.report_create(
            story=story, by=worried, category=Report.Category.AT_RISK, note="Wendy's worry"
        )
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW
    assert SafeguardingCase.objects.filter(story=story).exists()
    alerts = [m for m in mail.outbox if m.to == [world["moderator"].email]]
    to_author = [m for m in mail.outbox if m.to == [AUTHOR_EMAIL]]
    assert alerts and to_author
    worried_marks = ("wendy", str(REPORTER_ID + 1))
    for message in alerts:
        text = mail_text(message)
        assert_clean(text, AUTHOR_MARKS, "safeguarding alert")
        assert_clean(text, STORY_TEXT, "safeguarding alert")
        assert_clean(text, REPORTER_MARKS + worried_marks, "safeguarding alert")
    for message in to_author:
        text = mail_text(message)
        assert_clean(text, STORY_TEXT, "author's hidden email")
        assert_clean(text, REPORTER_MARKS + worried_marks, "author's hidden email")
        assert_clean(text, (AUTHOR_NAME, str(AUTHOR_ID)), "author's hidden email")


# --- The reporter's identity never reaches the author ------------------------------------------


def test_the_author_never_sees_who_reported(world, django_capture_on_commit_callbacks):
    story = world["story"]
    client = client_for(world["author"])
    for url in (story.get_absolute_url(), reverse("stories:mine")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), REPORTER_MARKS, url)
    # Even once reports have hidden it, and a moderator has removed it with a note.
    others = [UserFactory(), UserFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        for reader in others:
            domain.report_create(story=story, by=reader, category=Report.Category.SPAM)
    story.refresh_from_db()
    assert story.state == State.HIDDEN_PENDING_REVIEW
    for url in (story.get_absolute_url(), reverse("stories:mine")):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert_clean(text, REPORTER_MARKS, url)
        for reader in others:
            assert_clean(text, (reader.email,), url)
    for message in mail.outbox:
        if message.to == [AUTHOR_EMAIL]:
            assert_clean(mail_text(message), REPORTER_MARKS, "author email")


# --- Permissions: /moderation/ -----------------------------------------------------------------


def moderation_urls(story, case, response) -> list[tuple[str, str]]:
    """(method, url) for every page and action under /moderation/."""
    gets = [
        reverse("moderation:queue"),
        reverse("moderation:story", args=[story.pk]),
        reverse("moderation:responses"),
        reverse("moderation:cases"),
        reverse("moderation:case", args=[case.pk]),
    ]
    posts = [reverse("moderation:spam")]
    posts += [
        reverse(f"moderation:{name}", args=[story.pk])
        for name in (
            "story_claim",
            "story_release",
            "story_note",
            "story_approve",
            "story_request_changes",
            "story_reject",
            "story_hold",
            "story_hide",
            "story_restore",
            "story_remove",
        )
    ]
    posts += [
        reverse(f"moderation:{name}", args=[response.pk])
        for name in ("response_approve", "response_reject")
    ]
    posts += [
        reverse(f"moderation:{name}", args=[case.pk])
        for name in (
            "case_acknowledge",
            "case_contact_author",
            "case_request_escalation",
            "case_confirm_escalation",
            "case_close",
        )
    ]
    return [("get", url) for url in gets] + [("post", url) for url in posts]


@pytest.fixture
def moderation_targets():
    story = queued_story()
    published = published_story()
    case = SafeguardingCase.objects.create(
        story=story,
        person=story.author,
        source=SafeguardingCase.Source.MODERATOR,
        risk=SafeguardingCase.Risk.MEDIUM,
        summary="Worried.",
        acknowledge_by=timezone.now() + timedelta(hours=1),
    )
    organisation = OrganisationFactory()
    response = Response.objects.create(
        story=published, organisation=organisation, author=UserFactory(), body="Thanks."
    )
    return story, case, response


def _all_moderation_requests(targets):
    return moderation_urls(*targets)


def test_every_moderation_url_sends_a_visitor_to_log_in(moderation_targets):
    client = client_for()
    for method, url in _all_moderation_requests(moderation_targets):
        response = getattr(client, method)(url, {"next": "/"})
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith(reverse("account_login")), (method, url)


@pytest.mark.parametrize(
    "who",
    ["member", "organisation_admin", "platform_admin"],
)
def test_every_moderation_url_refuses_a_non_moderator(moderation_targets, who):
    if who == "member":
        user = UserFactory()
    elif who == "organisation_admin":
        user = MembershipFactory(role=Role.ADMIN).user
    else:
        user = UserFactory(is_platform_admin=True)
    client = client_for(user)
    story = moderation_targets[0]
    state = Story.objects.get(pk=story.pk).state
    for method, url in _all_moderation_requests(moderation_targets):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url, response.status_code)
    assert Story.objects.get(pk=story.pk).state == state


def test_every_moderation_url_sends_a_moderator_without_mfa_to_set_it_up(moderation_targets):
    client = client_for(moderator(mfa=False))
    story = moderation_targets[0]
    for method, url in _all_moderation_requests(moderation_targets):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith(reverse("mfa_activate_totp")), (method, url)
    assert Story.objects.get(pk=story.pk).state == State.AWAITING_REVIEW


def test_a_moderator_cannot_read_a_draft(client):
    """A draft is the author's alone until it is sent: not on the story page, not in the
    moderation pages, moderators included."""
    draft = StoryFactory(title="Still thinking about this one")
    client.force_login(moderator())
    for url in (draft.get_absolute_url(), reverse("moderation:story", args=[draft.pk])):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Still thinking" not in response.content
    response = client.post(
        reverse("moderation:story_note", args=[draft.pk]), {"note-text": "Peeking"}
    )
    assert response.status_code == 404
    assert not draft.moderator_notes.exists()


# --- Permissions: author actions ---------------------------------------------------------------


AUTHOR_GETS = ("edit", "preview", "submitted", "accept_edits", "appeal", "withdraw")
AUTHOR_POSTS = (
    "edit",
    "autosave",
    "submit",
    "accept_edits",
    "publish_now",
    "appeal",
    "withdraw",
)


@pytest.mark.parametrize("who", ["member", "moderator", "organisation_member"])
@pytest.mark.parametrize(
    "state",
    [State.DRAFT, State.CHANGES_REQUESTED, State.APPROVED, State.REJECTED, State.PUBLISHED],
)
def test_author_actions_refuse_anyone_else(who, state):
    story = StoryFactory(state=state, title="Mine alone", proposed_title="Suggested")
    before = Story.objects.values().get(pk=story.pk)
    user = {
        "member": UserFactory,
        "moderator": moderator,
        "organisation_member": lambda: MembershipFactory().user,
    }[who]()
    client = client_for(user)
    for name in AUTHOR_GETS:
        response = client.get(reverse(f"stories:{name}", args=[story.pk]))
        assert response.status_code == 404, (name, response.status_code)
    data = {"title": "Taken over", "body": "Not yours", "text": "Please", "consent_public": "on"}
    for name in AUTHOR_POSTS:
        response = client.post(reverse(f"stories:{name}", args=[story.pk]), data)
        assert response.status_code == 404, (name, response.status_code)
    assert Story.objects.values().get(pk=story.pk) == before


def test_author_actions_send_a_visitor_to_log_in():
    story = StoryFactory()
    client = client_for()
    for name in AUTHOR_GETS:
        response = client.get(reverse(f"stories:{name}", args=[story.pk]))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name
    for name in AUTHOR_POSTS:
        response = client.post(reverse(f"stories:{name}", args=[story.pk]), {"title": "x"})
        if name == "autosave":
            assert response.status_code == 401
            assert "Log in" in response.json()["error"]
        else:
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("account_login")), name
    assert Story.objects.get(pk=story.pk).title == story.title


# --- Permissions: organisation responses -------------------------------------------------------


def _respond(user, story, organisation=None):
    client = client_for(user)
    url = reverse("stories:respond", args=[story.pk])
    data = {"body": "Thank you for sharing this."}
    if organisation is not None:
        data["organisation"] = organisation.pk
    return client.get(url), client.post(url, data)


@pytest.mark.parametrize(
    "case",
    ["unverified_named", "verified_unlinked", "unverified_linked_service", "no_organisation"],
)
def test_only_members_of_a_verified_linked_organisation_may_respond(case):
    from tests.factories.services import ServiceFactory

    story = published_story()
    if case == "no_organisation":
        user = UserFactory()
    else:
        organisation = OrganisationFactory(
            verified_at=None if case.startswith("unverified") else OrganisationFactory().verified_at
        )
        user = MembershipFactory(organisation=organisation).user
        if case == "unverified_named":
            story.organisations.add(organisation)
        elif case == "unverified_linked_service":
            story.services.add(ServiceFactory(organisation=organisation))
    page, sent = _respond(user, story, None if case == "no_organisation" else organisation)
    assert page.status_code == 403
    assert sent.status_code == 403
    assert not Response.objects.filter(story=story).exists()
    detail = client_for(user).get(story.get_absolute_url()).content.decode()
    assert reverse("stories:respond", args=[story.pk]) not in detail


def test_a_member_of_a_verified_linked_organisation_may_respond():
    story = published_story()
    organisation = OrganisationFactory()
    story.organisations.add(organisation)
    user = MembershipFactory(organisation=organisation).user
    page, sent = _respond(user, story, organisation)
    assert page.status_code == 200
    assert sent.status_code == 302
    assert Response.objects.filter(story=story, organisation=organisation).count() == 1


def test_an_unknown_story_is_404_for_every_reader_action():
    missing = uuid.uuid4()
    client = client_for(UserFactory())
    for name in ("detail", "report", "respond", "respond_sent", "report_thanks"):
        assert client.get(reverse(f"stories:{name}", args=[missing])).status_code == 404, name
