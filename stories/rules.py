"""Who may do what with stories. Pages, the API and the domain ask the same questions."""

import rules

from accounts.rules import POWERS, has_mfa, is_moderator, role_in
from stories.models import EDITABLE_STATES, State


@rules.predicate
def is_story_author(user, story) -> bool:
    return (
        story is not None
        and user.is_authenticated
        and story.author_id is not None
        and story.author_id == user.pk
    )


@rules.predicate
def is_published(user, story) -> bool:
    return story is not None and story.state == State.PUBLISHED


@rules.predicate
def is_draft(user, story) -> bool:
    return story is not None and story.state == State.DRAFT


@rules.predicate
def is_editable(user, story) -> bool:
    return story is not None and story.state in EDITABLE_STATES


@rules.predicate
def is_withdrawable(user, story) -> bool:
    return story is not None and story.state != State.WITHDRAWN


@rules.predicate
def is_linked_organisation_member(user, story) -> bool:
    """A member of a verified organisation the story names or links (through its services or
    events). Loads the story's linked organisation ids once per story object."""
    if story is None or not user.is_authenticated:
        return False
    return bool(responding_organisations(user, story))


def linked_organisation_ids(story) -> set[int]:
    if not hasattr(story, "_linked_organisation_ids"):
        from django.db.models import Q

        from accounts.models import Organisation

        linked = Q(stories=story) | Q(services__stories=story) | Q(events__stories=story)
        story._linked_organisation_ids = set(
            Organisation.objects.filter(linked, verified_at__isnull=False)
            .values_list("pk", flat=True)
            .distinct()
        )
    return story._linked_organisation_ids


def responding_organisations(user, story) -> list[int]:
    """The verified organisations linked to the story in which the user is a member."""
    from accounts.models import Organisation

    ids = linked_organisation_ids(story)
    return [pk for pk in ids if role_in(user, Organisation(pk=pk)) is not None]


POWERS["stories.moderate"] = is_moderator
rules.add_perm("stories.moderate", is_moderator & has_mfa)

rules.add_perm("stories.write", rules.is_authenticated)
# A draft is the author's alone: moderators see a story once it is sent.
rules.add_perm(
    "stories.view_story", is_published | is_story_author | (is_moderator & has_mfa & ~is_draft)
)
rules.add_perm("stories.change_story", is_story_author & is_editable)
rules.add_perm("stories.withdraw_story", is_story_author & is_withdrawable)
# The author's answers to a moderator's decision; the domain says why when the state is wrong.
rules.add_perm("stories.appeal", is_story_author)
rules.add_perm("stories.accept_edits", is_story_author)
rules.add_perm("stories.publish_now", is_story_author)
rules.add_perm("stories.respond", is_published & is_linked_organisation_member)
rules.add_perm("stories.report", rules.is_authenticated & is_published & ~is_story_author)
