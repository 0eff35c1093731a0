"""Facilitators' forms: one page for an event with its sessions inline, and the small forms for
duplicating, cancelling, notes and the feedback request.

Dates use the NHS.UK date input (day, month, year boxes) and times are typed ("10:00", "2pm"),
both in London time. The forms only parse what was typed; the rules about the event as a whole
(end after start, sessions within it, capacity, registration window, online link) live in
events.organising, and `EventEditor.add_error` puts each message next to its field.
"""

from datetime import date, time

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.boundfield import BoundField

from events import organising
from events.models import Event, EventSeries
from services.forms_editing import TimeOfDayField

MAX_SESSIONS = 20

ACCESS_CHOICES = [
    ("step_free", "Step-free access"),
    ("hearing_loop", "Hearing loop"),
    ("bsl", "British Sign Language interpreter"),
    ("quiet_room", "Quiet room"),
    ("accessible_toilet", "Accessible toilet"),
]
REMINDER_CHOICES = [
    ("168", "A week before"),
    ("72", "3 days before"),
    ("24", "The day before (24 hours before)"),
    ("2", "2 hours before"),
]
STILL_COMING_CHOICES = [
    ("48", "Yes, 48 hours before (recommended)"),
    ("72", "Yes, 3 days before"),
    ("24", "Yes, 24 hours before"),
    ("off", "No, do not ask"),
]
REPEAT_CHOICES = [
    ("", "No, it happens once"),
    (EventSeries.Frequency.WEEKLY, "Every week"),
    (
        EventSeries.Frequency.MONTHLY,
        "Every month, on the same weekday (for example, the second Tuesday)",
    ),
]


def _text(value) -> str:
    return (value or "").replace("\r\n", "\n").strip()


# --- Dates and times ------------------------------------------------------------------------------


class DateInputWidget(forms.MultiWidget):
    """Day, month and year boxes (the NHS.UK date input), laid out by
    templates/events/organising/_date.html."""

    def __init__(self):
        box = {"inputmode": "numeric", "autocomplete": "off"}
        super().__init__(
            widgets={
                "day": forms.TextInput(attrs=box),
                "month": forms.TextInput(attrs=box),
                "year": forms.TextInput(attrs=box),
            }
        )

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]


class DateBoundField(BoundField):
    @property
    def parts(self) -> list[dict]:
        """Each box: id, name, label, value (what was typed, or the stored date), width."""
        value = self.value()
        if not isinstance(value, list | tuple):
            value = self.field.widget.decompress(value)
        labels = [("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)]
        return [
            {
                "id": f"{self.auto_id}_{suffix}",
                "name": f"{self.html_name}_{suffix}",
                "label": label,
                "value": (value[i] or "") if i < len(value) else "",
                "width": width,
            }
            for i, (suffix, label, width) in enumerate(labels)
        ]

    @property
    def first_id(self) -> str:
        return f"{self.auto_id}_day"


class DateInputField(forms.MultiValueField):
    widget = DateInputWidget
    default_error_messages = {
        "required": "Enter the date",
        "incomplete": "Enter a day, month and year",
        "invalid": "Enter a real date, for example 15 3 2027",
    }

    def __init__(self, **kwargs):
        parts = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def get_bound_field(self, form, field_name):
        return DateBoundField(form, self, field_name)

    def compress(self, data_list):
        values = [(v or "").strip() for v in (data_list or [])]
        if not any(values):
            return None
        if not all(values) or len(values) != 3:
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        if not all(v.isdigit() for v in values) or len(values[2]) != 4:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        day, month, year = (int(v) for v in values)
        try:
            return date(year, month, day)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class ClockTimeField(TimeOfDayField):
    """A time as people type it (the directory's field), required unless said otherwise."""

    default_error_messages = {"invalid": "Enter a time like 10:00 or 2pm"}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)


def _radios(choices):
    return forms.RadioSelect(choices=choices)


def _checkboxes(choices):
    return forms.CheckboxSelectMultiple(choices=choices)


# --- The event ----------------------------------------------------------------------------------


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of event is it?",
        choices=Event.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of event"},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Enter the event's title"},
    )
    description = forms.CharField(
        label="What happens at the event",
        help_text="Say who it is for and what to expect. Plain words help people who feel "
        "anxious about coming.",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Describe the event"},
    )

    starts_on = DateInputField(
        label="Date",
        help_text="For example, 15 3 2027",
        error_messages={"required": "Enter the date of the event"},
    )
    starts_time = ClockTimeField(
        label="Start time",
        help_text="For example, 10:00 or 2pm",
        error_messages={"required": "Enter the start time"},
    )
    ends_time = ClockTimeField(
        label="End time",
        help_text="For example, 12:30 or 4pm",
        error_messages={"required": "Enter the end time"},
    )
    ends_on = DateInputField(
        label="End date (if it ends on a later day)",
        help_text="Leave empty if it ends on the same day",
        required=False,
    )

    attendance = forms.ChoiceField(
        label="How do people take part?",
        choices=Event.Attendance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how people take part"},
    )
    venue_location = forms.ModelChoiceField(
        label="Place",
        queryset=None,
        required=False,
        empty_label="Somewhere else (type the address below)",
        help_text="One of your organisation's places in the directory",
        error_messages={"invalid_choice": organising.VENUE_NOT_OURS},
    )
    venue_name = forms.CharField(label="Name of the place", max_length=200, required=False)
    venue_address = forms.CharField(
        label="Address",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    venue_postcode = forms.CharField(label="Postcode", max_length=10, required=False)
    welcome = forms.CharField(
        label="Who will greet people",
        help_text="For example, “Sam will meet you at the door in a yellow lanyard.”",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    access = forms.MultipleChoiceField(
        label="Access features",
        help_text="Tick all that the place has",
        choices=ACCESS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    access_notes = forms.CharField(
        label="Other access information",
        help_text="For example, the nearest bus stop, or where the quiet room is",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    online_link = forms.URLField(
        label="Link to join online",
        help_text="Only people with a confirmed place see it",
        max_length=200,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address, like https://meet.example.org/abc"},
    )

    capacity = forms.IntegerField(
        label="Places",
        help_text="How many people can come in all. Leave empty for no limit.",
        min_value=1,
        max_value=100000,
        required=False,
        error_messages={
            "invalid": "Enter the number of places, like 20",
            "min_value": "Enter at least 1 place, or leave it empty for no limit",
        },
    )
    registration_opens_on = DateInputField(
        label="Registration opens on",
        help_text="Leave empty to open it when the event is published",
        required=False,
    )
    registration_opens_time = ClockTimeField(
        label="Registration opens at",
        help_text="Leave empty for the start of the day",
        required=False,
    )
    registration_closes_on = DateInputField(
        label="Registration closes on",
        help_text="Leave empty to keep it open until the event starts",
        required=False,
    )
    registration_closes_time = ClockTimeField(
        label="Registration closes at",
        help_text="Leave empty for the end of the day (23:59)",
        required=False,
    )
    requires_approval = forms.BooleanField(
        label="A facilitator approves each registration", required=False
    )
    still_coming = forms.ChoiceField(
        label="Ask people if they are still coming?",
        help_text="One tap frees their place for someone on the waiting list",
        choices=STILL_COMING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to ask people if they are still coming"},
    )
    reminder_hours = forms.MultipleChoiceField(
        label="Reminders",
        help_text="Tick when to send people a reminder",
        choices=REMINDER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    # Only when creating: repeat as a series.
    repeat = forms.ChoiceField(
        label="Does it repeat?",
        choices=REPEAT_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label="How many dates in all",
        help_text=f"Up to {organising.MAX_SERIES_DATES}, the first one included",
        required=False,
        error_messages={"invalid": "Enter a number of dates, like 6"},
    )
    until = DateInputField(
        label="Or: the date of the last one",
        help_text="For example, 15 9 2027",
        required=False,
    )

    def __init__(self, *args, organisation, allow_series: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from services.models import Location

        self.organisation = organisation
        self.fields["venue_location"].queryset = Location.objects.filter(
            organisation=organisation,
            confidential=False,
            location_type=Location.Type.PHYSICAL,
        ).order_by("name", "address_1")
        self.allow_series = allow_series
        if not allow_series:
            for name in ("repeat", "count", "until"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        for prefix in ("registration_opens", "registration_closes"):
            day, at = data.get(f"{prefix}_on"), data.get(f"{prefix}_time")
            if at is not None and day is None and f"{prefix}_on" not in self.errors:
                self.add_error(f"{prefix}_on", "Enter the date as well as the time")
        return data

    def model_fields(self) -> dict:
        """The event's fields for events.organising, from what was typed."""
        data = self.cleaned_data
        starts_on = data["starts_on"]
        fields = {
            name: data.get(name)
            for name in (
                "kind",
                "title",
                "description",
                "attendance",
                "venue_location",
                "venue_name",
                "venue_address",
                "venue_postcode",
                "welcome",
                "access_notes",
                "online_link",
                "capacity",
                "requires_approval",
            )
        }
        fields["venue_postcode"] = _text(fields["venue_postcode"]).upper()
        fields["starts_at"] = organising.local_moment(starts_on, data["starts_time"])
        fields["ends_at"] = organising.local_moment(
            data.get("ends_on") or starts_on, data["ends_time"]
        )
        access = set(data.get("access") or [])
        for name, _label in ACCESS_CHOICES:
            fields[name] = name in access
        opens_on, closes_on = data.get("registration_opens_on"), data.get("registration_closes_on")
        fields["registration_opens_at"] = (
            organising.local_moment(opens_on, data.get("registration_opens_time") or time(0, 0))
            if opens_on
            else None
        )
        closes_at = None
        if closes_on:
            closes_time = data.get("registration_closes_time")
            closes_at = organising.local_moment(closes_on, closes_time or time(23, 59))
            if closes_time is None and closes_at > fields["starts_at"]:
                closes_at = fields["starts_at"]  # "the end of the day" of the event's own day
        fields["registration_closes_at"] = closes_at
        still = data["still_coming"]
        fields["still_coming_hours"] = None if still == "off" else int(still)
        fields["reminder_hours"] = sorted((int(h) for h in data["reminder_hours"]), reverse=True)
        return fields

    def series(self) -> dict | None:
        if not self.allow_series or not self.cleaned_data.get("repeat"):
            return None
        return {
            "frequency": self.cleaned_data["repeat"],
            "count": self.cleaned_data.get("count"),
            "until": self.cleaned_data.get("until"),
        }


def event_initial(event: Event | None) -> dict:
    if event is None:
        return {
            "attendance": Event.Attendance.IN_PERSON,
            "still_coming": "48",
            "reminder_hours": ["24", "2"],
        }
    starts_on, starts_time = organising.local_parts(event.starts_at)
    ends_on, ends_time = organising.local_parts(event.ends_at)
    initial = {
        name: getattr(event, name)
        for name in (
            "kind",
            "title",
            "description",
            "attendance",
            "venue_name",
            "venue_address",
            "venue_postcode",
            "welcome",
            "access_notes",
            "online_link",
            "capacity",
            "requires_approval",
        )
    }
    initial.update(
        venue_location=event.venue_location_id,
        starts_on=starts_on,
        starts_time=starts_time,
        ends_time=ends_time,
        ends_on=ends_on if ends_on != starts_on else None,
        access=[name for name, _label in ACCESS_CHOICES if getattr(event, name)],
        still_coming="off" if event.still_coming_hours is None else str(event.still_coming_hours),
        reminder_hours=[str(h) for h in event.reminder_hours],
    )
    for prefix in ("registration_opens", "registration_closes"):
        moment = getattr(event, f"{prefix}_at")
        if moment is not None:
            initial[f"{prefix}_on"], initial[f"{prefix}_time"] = organising.local_parts(moment)
    return initial


# --- Sessions (rooms) ---------------------------------------------------------------------------


class SessionForm(forms.Form):
    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(
        label="Session title",
        max_length=200,
        error_messages={"required": "Enter the session's title"},
    )
    room = forms.CharField(label="Room", max_length=100, required=False)
    day = DateInputField(
        label="Date of the session",
        help_text="Leave empty if it is on the day the event starts",
        required=False,
    )
    starts_time = ClockTimeField(
        label="Start time", help_text="Leave empty to use the event's times", required=False
    )
    ends_time = ClockTimeField(label="End time", required=False)
    facilitator = forms.CharField(label="Facilitator", max_length=200, required=False)
    capacity = forms.IntegerField(
        label="Places in this session",
        help_text="Leave empty for no limit of its own",
        min_value=1,
        max_value=100000,
        required=False,
        error_messages={
            "invalid": "Enter the number of places, like 12",
            "min_value": "Enter at least 1 place, or leave it empty for no limit",
        },
    )

    def clean(self):
        data = super().clean()
        if (data.get("starts_time") is None) != (data.get("ends_time") is None):
            missing = "ends_time" if data.get("ends_time") is None else "starts_time"
            if missing not in self.errors:
                self.add_error(missing, "Enter both the start and end times, or leave both empty")
        return data

    def row(self, *, event_starts, event_ends) -> dict:
        """The session for events.organising. Without times it runs for the whole event; without
        a date it is on the event's first day."""
        data = self.cleaned_data
        deleted = bool(data.get("DELETE"))
        event_day, _ = organising.local_parts(event_starts)
        day = data.get("day") or event_day
        if data.get("starts_time") is None:
            if data.get("day") is None:
                starts, ends = event_starts, event_ends
            else:
                _, start_at = organising.local_parts(event_starts)
                _, end_at = organising.local_parts(event_ends)
                starts = organising.local_moment(day, start_at)
                ends = organising.local_moment(day, end_at)
        else:
            starts = organising.local_moment(day, data["starts_time"])
            ends = organising.local_moment(day, data["ends_time"])
        return {
            "id": data.get("id"),
            "delete": deleted,
            "title": data.get("title", ""),
            "room": data.get("room", ""),
            "facilitator": data.get("facilitator", ""),
            "capacity": data.get("capacity"),
            "starts_at": starts,
            "ends_at": ends,
        }


SessionFormSet = forms.formset_factory(
    SessionForm,
    extra=2,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_SESSIONS,
    validate_max=True,
)


def session_initial(session, event) -> dict:
    event_day, _ = organising.local_parts(event.starts_at)
    day, starts = organising.local_parts(session.starts_at)
    _, ends = organising.local_parts(session.ends_at)
    whole_event = (session.starts_at, session.ends_at) == (event.starts_at, event.ends_at)
    return {
        "id": session.pk,
        "title": session.title,
        "room": session.room,
        "day": day if day != event_day else None,
        "starts_time": None if whole_event else starts,
        "ends_time": None if whole_event else ends,
        "facilitator": session.facilitator,
        "capacity": session.capacity,
    }


# --- The whole page -------------------------------------------------------------------------------

# Where a domain error about a model field is shown on the form.
FIELD_FOR = {
    "starts_at": "starts_on",
    "ends_at": "ends_time",
    "registration_opens_at": "registration_opens_on",
    "registration_closes_at": "registration_closes_on",
    "still_coming_hours": "still_coming",
    "frequency": "repeat",
    "step_free": "access",
    "hearing_loop": "access",
    "bsl": "access",
    "quiet_room": "access",
    "accessible_toilet": "access",
}
SESSION_FIELD_FOR = {"starts_at": "starts_time", "ends_at": "ends_time", "delete": "DELETE"}


class EventEditor:
    """The event form and its sessions, read together into what events.organising takes."""

    def __init__(self, data=None, *, organisation, event: Event | None = None):
        self.organisation = organisation
        self.event = event
        self.form = EventForm(
            data,
            initial=event_initial(event),
            organisation=organisation,
            allow_series=event is None,
        )
        sessions = list(event.sessions.all()) if event is not None else []
        self.sessions = SessionFormSet(
            data,
            prefix="sessions",
            initial=[session_initial(s, event) for s in sessions],
        )
        if event is not None:
            self.sessions.extra = 1
        for form in self.sessions.forms:
            if "DELETE" in form.fields:
                form.fields["DELETE"].label = "Remove this session"
        self._session_forms: list[SessionForm] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.sessions.is_valid()])

    def fields(self) -> dict:
        return self.form.model_fields()

    def series(self) -> dict | None:
        return self.form.series()

    def session_rows(self, fields: dict) -> list[dict]:
        rows, self._session_forms = [], []
        for form in self.sessions.forms:
            if not form.has_changed() and not form.initial:
                continue
            rows.append(form.row(event_starts=fields["starts_at"], event_ends=fields["ends_at"]))
            self._session_forms.append(form)
        return rows

    def add_error(self, error: forms.ValidationError) -> None:
        """An error from events.organising: by its field when we show that field, else on top."""
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error.messages)
            return
        for key, errors in error.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            if key.startswith("sessions."):
                _, index, name = key.split(".", 2)
                form = self._session_forms[int(index)]
                field = SESSION_FIELD_FOR.get(name, name)
                form.add_error(field if field in form.fields else None, messages)
                continue
            field = FIELD_FOR.get(key, key)
            if key == NON_FIELD_ERRORS or field not in self.form.fields:
                field = None
            self.form.add_error(field, messages)

    @staticmethod
    def _href(bound) -> str:
        if isinstance(bound, DateBoundField):
            return f"#{bound.first_id}"
        if isinstance(bound.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            return f"#{bound.auto_id}_0"
        return f"#{bound.auto_id}"

    def error_items(self) -> list[dict]:
        items = [{"text": e, "href": None} for e in self.form.non_field_errors()]
        for bound in self.form:
            items += [{"text": e, "href": self._href(bound)} for e in bound.errors]
        items += [{"text": e, "href": None} for e in self.sessions.non_form_errors()]
        for number, form in enumerate(self.sessions.forms, start=1):
            if not form.errors:
                continue
            where = f"Session {number}"
            items += [{"text": f"{where}: {e}", "href": None} for e in form.non_field_errors()]
            for bound in form:
                items += [
                    {"text": f"{where}: {e}", "href": self._href(bound)} for e in bound.errors
                ]
        return items


# --- Small forms ----------------------------------------------------------------------------------


class DuplicateForm(forms.Form):
    starts_on = DateInputField(
        label="Date of the new event",
        help_text="For example, 15 3 2027. The times, sessions and settings are copied.",
        error_messages={"required": "Enter the date of the new event"},
    )


class CancelForm(forms.Form):
    cancelled_reason = forms.CharField(
        label="Why is it cancelled?",
        help_text="Everyone registered is sent this. Say if there is another date.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": organising.REASON_MISSING},
    )


class NotesForm(forms.Form):
    notes_key_themes = forms.CharField(
        label="Key themes",
        help_text="What people talked about. Leave out anything that could identify someone.",
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    notes_actions = forms.CharField(
        label="Specific actions",
        help_text="What will happen next, and who will do it",
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class FeedbackForm(forms.Form):
    message = forms.CharField(
        label="A few words from you (optional)",
        help_text="Added to the email, for example to thank people for coming",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    link = forms.URLField(
        label="Link to a feedback form (optional)",
        max_length=500,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address, like https://forms.example.org/abc"},
    )
