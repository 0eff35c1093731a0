"""Forms for events. Registration: a person books a place (guests give a name and an email)."""

from django import forms

from events.domain import when


class RegistrationForm(forms.Form):
    """Built for one event and one person: guests are asked their name and email, people with an
    account are not; sessions appear when the event has them; "help with" only for surgeries."""

    guest_name = forms.CharField(
        label="Your name",
        max_length=100,
        help_text="The name you would like the organisers to greet you by.",
        error_messages={"required": "Enter your name."},
    )
    guest_email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We will email you a link to see or cancel your place. We will not use it for "
        "anything else.",
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address in the correct format, like name@example.com.",
        },
    )
    session = forms.ChoiceField(
        label="Which session would you like to go to?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the session you would like to go to.",
            "invalid_choice": "Choose one of this event's sessions.",
        },
    )
    companion = forms.BooleanField(
        label="I'm bringing a carer or companion (2 places)",
        required=False,
    )
    access_needs = forms.CharField(
        label="Is there anything that would help you take part? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example step-free access, a quiet space, a hearing loop, or someone to "
        "meet you at the door. Only the organisers running this event can read this, and it is "
        "deleted 30 days after the event.",
    )
    help_with = forms.CharField(
        label="What would you like help with? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example setting up a Facebook page, staying safe online, or video calls. "
        "It helps us pair you with the right volunteer. Nothing is too small.",
    )

    def __init__(self, *args, event, user, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.is_guest = not (user is not None and user.is_authenticated)
        if not self.is_guest:
            del self.fields["guest_name"]
            del self.fields["guest_email"]
        if sessions:
            self.fields["session"].choices = [(str(s.pk), session_label(s)) for s in sessions]
        else:
            del self.fields["session"]
        if not event.is_surgery:
            del self.fields["help_with"]

    def domain_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "places": 2 if data.get("companion") else 1,
            "access_needs": data.get("access_needs", ""),
            "help_with": data.get("help_with", ""),
        }
        if "session" in self.fields:
            arguments["session"] = _uuid(data["session"])
        if self.is_guest:
            arguments["guest_name"] = data["guest_name"]
            arguments["guest_email"] = data["guest_email"]
        return arguments


def _uuid(value):
    import uuid

    return uuid.UUID(value)


def session_label(session) -> str:
    """ "Room 2: Working in partnership, Tuesday 3 June 2025 at 10am (4 places left)"."""
    text = f"{session}, {when(session.starts_at)}"
    if session.facilitator:
        text += f", with {session.facilitator}"
    left = getattr(session, "places_left", None)
    if left is not None:
        if left <= 0:
            text += " (full: you can join the waiting list)"
        else:
            text += f" ({left} place{'s' if left != 1 else ''} left)"
    return text
