"""Forms for the moderators' pages: the queue's filters, the bulk spam choice, and one form per
action on a story. Each action form has its own prefix, so the story page can carry them all
without two fields sharing an id, and a refused action comes back with what was typed."""

import uuid

from django import forms

from stories.models import (
    QUEUE_STATES,
    REJECT_REASONS,
    REMOVE_REASONS,
    REQUEST_CHANGES_REASONS,
    TITLE_MAX,
    Priority,
    SafeguardingCase,
    State,
)

NOTE_ROWS = 4


def _reasons(reasons) -> list[tuple[str, str]]:
    return [(reason.value, reason.label) for reason in reasons]


def _note(label: str, *, required: bool, help_text: str = "", required_message: str = ""):
    field = forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": NOTE_ROWS}),
    )
    if required_message:
        field.error_messages["required"] = required_message
    return field


def _reason(label: str, reasons, *, help_text: str = ""):
    return forms.ChoiceField(
        label=label,
        choices=_reasons(reasons),
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": "Choose a reason.", "invalid_choice": "Choose a reason."},
    )


# --- The queue ------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """GET filters. No state ticked means the queue's states."""

    state = forms.MultipleChoiceField(
        label="State",
        required=False,
        choices=[(s.value, s.label) for s in State if s != State.DRAFT],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose states from the list."},
    )
    priority = forms.TypedChoiceField(
        label="Priority",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any priority")]
        + [(str(p.value), p.label) for p in sorted(Priority, reverse=True)],
        error_messages={"invalid_choice": "Choose a priority from the list."},
    )
    appeals = forms.BooleanField(label="Appeals only", required=False)
    mine = forms.BooleanField(label="Claimed by me", required=False)

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.getlist("state"):
            data = data.copy()
            data.setlist("state", [s.value for s in QUEUE_STATES])
        super().__init__(data, **kwargs)

    def filters(self, *, user) -> dict:
        """The filters for `queries_moderation.queue_page`; a bad value gets the default."""
        cleaned = {}
        if self.is_bound:
            self.is_valid()
            cleaned = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return {
            "states": cleaned.get("state") or QUEUE_STATES,
            "priority": cleaned.get("priority"),
            "appeals_only": bool(cleaned.get("appeals")),
            "claimed_by": user if cleaned.get("mine") else None,
        }

    @property
    def used(self) -> bool:
        """Whether anything but the default states is asked for (to offer "Clear filters")."""
        data = self.data
        return bool(
            data.get("priority")
            or data.get("appeals")
            or data.get("mine")
            or sorted(data.getlist("state")) != sorted(s.value for s in QUEUE_STATES)
        )


class SpamForm(forms.Form):
    """The stories ticked in the queue (their ids); `confirm` is set by the confirmation page."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.story_ids: list[uuid.UUID] = []
        if data is not None:
            for value in data.getlist("stories"):
                try:
                    self.story_ids.append(uuid.UUID(str(value)))
                except ValueError:
                    continue

    def clean(self):
        if not self.story_ids:
            raise forms.ValidationError("Select the stories to mark as spam.", code="required")
        return super().clean()


# --- Actions on a story ---------------------------------------------------------------------------


class NoteForm(forms.Form):
    text = _note(
        "Add a note for other moderators",
        required=True,
        help_text="Only moderators see these notes. The author never does.",
        required_message="Write the note first.",
    )


class ApproveForm(forms.Form):
    note = _note(
        "Note for the record (optional)",
        required=False,
        help_text="Kept in the story's history. The author does not see it.",
    )


class RequestChangesForm(forms.Form):
    reason = _reason("What needs to change?", REQUEST_CHANGES_REASONS)
    note = _note(
        "Note to the author",
        required=True,
        help_text="Say what to change and why, kindly. The author sees this.",
        required_message="Write a note to the author saying what to change and why.",
    )
    proposed_title = forms.CharField(
        label="Suggested title (optional)",
        required=False,
        max_length=TITLE_MAX,
        help_text="Change it only if you are suggesting an edit. The author can accept it.",
        error_messages={"max_length": f"Keep the title to {TITLE_MAX} characters or fewer."},
    )
    proposed_body = forms.CharField(
        label="Suggested text (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=(
            "For example, take out a nurse's name or a date. Leave it as it is to send no "
            "suggested edit. The author sees your edits and can accept them."
        ),
    )

    def __init__(self, *args, story=None, **kwargs):
        if story is not None and not kwargs.get("data") and not args:
            kwargs.setdefault(
                "initial", {"proposed_title": story.title, "proposed_body": story.body}
            )
        super().__init__(*args, **kwargs)


REJECT_HINT = (
    "The author sees this. Be kind: they shared something personal. For example: “Thank you "
    "for trusting us with your story. We cannot publish it because … If you think we have got "
    "this wrong, you can ask us to look at it again once.”"
)


class RejectForm(forms.Form):
    reason = _reason("Why can it not be published?", REJECT_REASONS)
    note = _note(
        "Note to the author",
        required=True,
        help_text=REJECT_HINT,
        required_message="Write a note to the author saying why, kindly.",
    )


class HoldForm(forms.Form):
    risk = forms.ChoiceField(
        label="How worried are you?",
        choices=SafeguardingCase.Risk.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a risk level.",
            "invalid_choice": "Choose a risk level.",
        },
    )
    note = _note(
        "Why are you worried?",
        required=True,
        help_text="For the moderator on duty. The author does not see this.",
        required_message="Say why you are worried, for the moderator on duty.",
    )


class HideForm(forms.Form):
    reason = _reason("Why hide it?", REMOVE_REASONS)
    note = _note(
        "Note for the record (optional)",
        required=False,
        help_text="The author is told their story is hidden while we look at it.",
    )


class RestoreForm(forms.Form):
    note = _note(
        "Note for the record (optional)",
        required=False,
        help_text="The open reports are closed and the story is public again.",
    )


class RemoveForm(forms.Form):
    reason = _reason("Why remove it?", REMOVE_REASONS)
    note = _note(
        "Note to the author",
        required=True,
        help_text=(
            "The author sees this. Be kind: say plainly why the story cannot stay on the site, "
            "and thank them for sharing it."
        ),
        required_message="Write a note to the author saying why, kindly.",
    )


# The story page's action forms, by prefix.
ACTIONS = {
    "note": NoteForm,
    "approve": ApproveForm,
    "changes": RequestChangesForm,
    "reject": RejectForm,
    "hold": HoldForm,
    "hide": HideForm,
    "restore": RestoreForm,
    "remove": RemoveForm,
}


# --- Responses ------------------------------------------------------------------------------------


class ResponseRejectForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *_reasons(REJECT_REASONS)],
        error_messages={"required": "Choose a reason.", "invalid_choice": "Choose a reason."},
    )
