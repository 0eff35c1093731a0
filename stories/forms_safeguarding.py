"""Forms for the steps of a safeguarding case. Each has its own prefix, so the case page can show
them together without two fields sharing an id."""

from django import forms

from stories.safeguarding import NOTE_MAX


def _text_field(*, label: str, hint: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": required,
            "max_length": f"Keep it under {NOTE_MAX:,} characters.",
        },
    )


class ContactAuthorForm(forms.Form):
    prefix = "contact"
    note = _text_field(
        label="How you contacted the author, and what you said",
        hint="For the case history. It is not sent to the author.",
        required="Say how you contacted the author and what you said.",
    )


class EscalationRequestForm(forms.Form):
    prefix = "escalate"
    reason = _text_field(
        label="Why does this need escalating outside the portal, and to whom?",
        hint="For example the person's crisis team, their GP, or 999. A second moderator must "
        "confirm before anyone is contacted.",
        required="Say why this needs escalating outside the portal, and to whom.",
    )


class CloseForm(forms.Form):
    prefix = "close"
    note = _text_field(
        label="What happened, and why can the case be closed?",
        hint="The story keeps its own state: approve, ask for changes or reject it in the queue.",
        required="Say why the case can be closed and what happened.",
    )
