"""Factories for stories. They write rows directly; tests of behaviour go through stories.domain."""

import factory
from django.utils import timezone

from accounts.models import User
from stories.domain import STORY_SEARCH_VECTOR
from stories.models import Decision, Reason, State, Story, Theme
from tests.factories.accounts import UserFactory, give_mfa


class StoryFactory(factory.django.DjangoModelFactory):
    """A draft by a new author, unless told otherwise."""

    class Meta:
        model = Story
        skip_postgeneration_save = True

    author = factory.SubFactory(UserFactory)
    pseudonym = factory.LazyAttribute(lambda o: o.author.profile.pseudonym if o.author else "")
    title = factory.Sequence(lambda n: f"Finding my feet again, part {n}")
    body = (
        "After months indoors I went to a walking group on Tuesdays.\n\n"
        "Nobody asked me to talk. We walked, and by the third week I wanted to."
    )
    themes = factory.LazyFunction(lambda: [Theme.CONNECTEDNESS, Theme.HOPE])
    state = State.DRAFT


def published_story(**fields) -> Story:
    """A story as the public sees it: consent given, screened, approved and published."""
    now = timezone.now()
    fields.setdefault("consent_public_at", now)
    fields.setdefault("first_submitted_at", now)
    fields.setdefault("queued_at", now)
    fields.setdefault("approved_at", now)
    fields.setdefault("published_at", now)
    fields.setdefault("state", State.PUBLISHED)
    story = StoryFactory(**fields)
    Story.objects.filter(pk=story.pk).update(search_vector=STORY_SEARCH_VECTOR)
    Decision.objects.create(
        story=story,
        from_state=State.IN_REVIEW,
        to_state=State.PUBLISHED,
        reason=Reason.MEETS_GUIDELINES,
    )
    return story


def queued_story(**fields) -> Story:
    """A submitted story waiting in the moderators' queue."""
    now = timezone.now()
    fields.setdefault("consent_public_at", now)
    fields.setdefault("first_submitted_at", now)
    fields.setdefault("queued_at", now)
    fields.setdefault("state", State.AWAITING_REVIEW)
    return StoryFactory(**fields)


def moderator(*, mfa: bool = True, **fields) -> User:
    """A moderator, with two-step verification unless mfa=False."""
    user = UserFactory(is_moderator=True, **fields)
    if mfa:
        give_mfa(user)
    return user
