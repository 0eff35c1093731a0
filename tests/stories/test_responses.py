"""Organisations' responses through the pages: who may respond (a member of a verified
organisation the story names or links), a response is read by a moderator before it appears,
and withdrawing the story hides its responses."""

import pytest
from django.urls import reverse

from stories import domain
from stories.models import Response, State
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import EventFactory
from tests.factories.services import ServiceFactory
from tests.factories.stories import StoryFactory, moderator, published_story

pytestmark = pytest.mark.django_db

THANKS = "Thank you for sharing this. We have moved our evening group to a quieter room."


def respond_url(story) -> str:
    return reverse("stories:respond", args=[story.pk])


def member_of(organisation):
    return MembershipFactory(organisation=organisation).user


def named_story(org=None):
    org = org or OrganisationFactory(name="Eastbrook Mind")
    story = published_story()
    story.organisations.add(org)
    return story, org


@pytest.mark.parametrize("link", ["named", "service", "event"])
def test_a_member_of_a_verified_linked_organisation_may_respond(client, link):
    org = OrganisationFactory(name="Eastbrook Mind")
    story = published_story()
    if link == "named":
        story.organisations.add(org)
    elif link == "service":
        story.services.add(ServiceFactory(organisation=org))
    else:
        story.events.add(EventFactory(organisation=org))
    user = member_of(org)
    client.force_login(user)

    page = client.get(story.get_absolute_url()).content.decode()
    assert "Respond on behalf of Eastbrook Mind" in page
    assert respond_url(story) in page

    form = client.get(respond_url(story))
    assert form.status_code == 200
    assert "Respond on behalf of Eastbrook Mind" in form.content.decode()

    response = client.post(respond_url(story), {"organisation": org.pk, "body": THANKS})

    assert response.status_code == 302
    assert response["Location"] == reverse("stories:respond_sent", args=[story.pk])
    saved = Response.objects.get()
    assert (saved.story, saved.organisation, saved.author, saved.body, saved.state) == (
        story,
        org,
        user,
        THANKS,
        Response.State.PENDING,
    )
    sent = client.get(response["Location"]).content.decode()
    assert "will be read before it appears" in sent or "before it appears" in sent


@pytest.mark.parametrize("who", ["unverified", "unlinked", "non_member"])
def test_others_may_not_respond(client, who):
    story, org = named_story()
    if who == "unverified":
        unverified = OrganisationFactory(verified_at=None)
        story.organisations.add(unverified)
        user = member_of(unverified)
    elif who == "unlinked":
        user = member_of(OrganisationFactory())
    else:
        user = UserFactory()
    client.force_login(user)

    assert "Respond on behalf" not in client.get(story.get_absolute_url()).content.decode()
    assert client.get(respond_url(story)).status_code == 403
    assert (
        client.post(respond_url(story), {"organisation": org.pk, "body": THANKS}).status_code == 403
    )
    assert not Response.objects.exists()


def test_a_visitor_is_asked_to_log_in(client):
    story, _org = named_story()

    response = client.get(respond_url(story))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_nobody_may_respond_to_a_story_that_is_not_published(client):
    org = OrganisationFactory()
    story = StoryFactory(state=State.AWAITING_REVIEW)
    story.organisations.add(org)
    client.force_login(member_of(org))

    assert client.get(respond_url(story)).status_code == 404


def test_with_more_than_one_organisation_the_member_chooses(client):
    first = OrganisationFactory(name="Eastbrook Mind")
    second = OrganisationFactory(name="Northfield Housing")
    other = OrganisationFactory(name="Not linked")
    story = published_story()
    story.organisations.add(first, second)
    user = member_of(first)
    MembershipFactory(user=user, organisation=second)
    MembershipFactory(user=user, organisation=other)
    client.force_login(user)

    assert "Respond on behalf of Eastbrook Mind or Northfield Housing" in (
        client.get(story.get_absolute_url()).content.decode()
    )
    html = client.get(respond_url(story)).content.decode()
    assert html.count('type="radio"') == 2
    assert "Not linked" not in html

    # An organisation that is not linked is refused by the field; the text is kept.
    refused = client.post(respond_url(story), {"organisation": other.pk, "body": THANKS})
    assert refused.status_code == 200
    assert "<title>Error: " in refused.content.decode()
    assert THANKS in refused.content.decode()

    client.post(respond_url(story), {"organisation": second.pk, "body": THANKS})
    assert Response.objects.get().organisation == second


def test_bad_input_is_said_by_the_field_and_nothing_is_lost(client):
    story, org = named_story()
    client.force_login(member_of(org))

    empty = client.post(respond_url(story), {"organisation": org.pk, "body": "   "})
    assert "Write your response." in empty.content.decode()

    long_text = "word " * 401
    too_long = client.post(respond_url(story), {"organisation": org.pk, "body": long_text})
    html = too_long.content.decode()
    assert too_long.status_code == 200
    assert "<title>Error: " in html
    assert "up to 400 words" in html
    assert 'id="id_body-error"' in html
    assert long_text.strip() in html
    assert not Response.objects.exists()


def test_a_response_appears_only_after_a_moderator_publishes_it(client):
    story, org = named_story()
    client.force_login(member_of(org))
    client.post(respond_url(story), {"organisation": org.pk, "body": THANKS})
    client.logout()

    assert THANKS not in client.get(story.get_absolute_url()).content.decode()

    domain.response_approve(response=Response.objects.get(), by=moderator())

    page = client.get(story.get_absolute_url()).content.decode()
    assert THANKS in page
    assert "Eastbrook Mind" in page


def test_markup_in_a_response_is_shown_as_text(client):
    story, org = named_story()
    Response.objects.create(
        story=story,
        organisation=org,
        body="<script>alert(1)</script> Thank you",
        state=Response.State.PUBLISHED,
    )

    html = client.get(story.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Thank you" in html


def test_withdrawing_the_story_hides_its_responses(client):
    story, org = named_story()
    Response.objects.create(
        story=story, organisation=org, body=THANKS, state=Response.State.PUBLISHED
    )
    assert THANKS in client.get(story.get_absolute_url()).content.decode()

    domain.story_withdraw(story=story, by=story.author)

    assert client.get(story.get_absolute_url()).status_code == 404
    client.force_login(story.author)
    assert THANKS not in client.get(story.get_absolute_url()).content.decode()
    member = member_of(org)
    client.force_login(member)
    assert client.get(respond_url(story)).status_code == 404


def test_a_hidden_story_shows_no_responses_even_to_moderators(client):
    story, org = named_story()
    Response.objects.create(
        story=story, organisation=org, body=THANKS, state=Response.State.PUBLISHED
    )
    story.state = State.HIDDEN_PENDING_REVIEW
    story.save()

    client.force_login(moderator())
    html = client.get(story.get_absolute_url()).content.decode()
    assert 'id="story-state"' in html
    assert THANKS not in html
