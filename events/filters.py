"""The events list's filters, declared once (django-filter) for the page, the month view and the
API.

Dates are London dates: `from=2026-03-03` means events starting on or after midnight in London
that day; `to` includes the whole of its day. With no `from`, the list is what is still to come:
events starting today or later that have not ended. Every filter narrows a range scan of the
(status, starts_at) index, so a page stays quick with tens of thousands of events.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Organisation
from events.models import Event

LONDON = ZoneInfo("Europe/London")

ACCESSIBILITY = [
    ("step_free", "Step-free access"),
    ("hearing_loop", "Hearing loop"),
    ("bsl", "British Sign Language interpreter"),
    ("quiet_room", "Quiet room"),
    ("accessible_toilet", "Accessible toilet"),
]
ACCESSIBILITY_FIELDS = {code for code, _label in ACCESSIBILITY}

ATTENDANCE = [("in_person", "In person"), ("online", "Online")]


def london_midnight(day: date) -> datetime:
    """The moment a London day starts (midnight is never skipped or repeated by UK clocks)."""
    return datetime.combine(day, time.min, tzinfo=LONDON)


class DateInput(forms.DateInput):
    """The browser's date picker; it sends 2026-03-03, and typed 3/3/2026 is read too."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class EventFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", "The end date must be the same as or after the start date.")
        return cleaned


class EventFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(
        choices=Event.Kind.choices,
        label="Type of event",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # no joins, so no duplicates: DISTINCT would sort every column
    )
    date_from = filters.DateFilter(
        method="filter_from",
        label="From",
        widget=DateInput,
        help_text="Events starting on or after this date.",
        error_messages={"invalid": "Enter a real date, like 3/3/2026."},
    )
    date_to = filters.DateFilter(
        method="filter_to",
        label="To",
        widget=DateInput,
        help_text="Events starting on or before this date.",
        error_messages={"invalid": "Enter a real date, like 31/3/2026."},
    )
    organisation = filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        label="Organisation",
        empty_label="Any organisation",
        error_messages={"invalid_choice": "Choose an organisation from the list."},
    )
    attendance = filters.ChoiceFilter(
        choices=ATTENDANCE,
        method="filter_attendance",
        label="Taking part",
        empty_label="In person or online",
        help_text="Events that are both count as either.",
    )
    accessibility = filters.MultipleChoiceFilter(
        choices=ACCESSIBILITY,
        method="filter_accessibility",
        label="Accessibility",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )

    class Meta:
        model = Event
        fields: list[str] = []
        form = EventFilterForm

    # The query parameters are `from` and `to`, which are Python keywords: the filters are
    # declared under other names and renamed below.

    def filter_from(self, queryset, name, value):
        return queryset.filter(starts_at__gte=london_midnight(value)) if value else queryset

    def filter_to(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(starts_at__lt=london_midnight(value + timedelta(days=1)))

    def filter_attendance(self, queryset, name, value):
        if value == "online":
            return queryset.filter(
                attendance__in=[Event.Attendance.ONLINE, Event.Attendance.HYBRID]
            )
        if value == "in_person":
            return queryset.filter(
                attendance__in=[Event.Attendance.IN_PERSON, Event.Attendance.HYBRID]
            )
        return queryset

    def filter_accessibility(self, queryset, name, values):
        wanted = [v for v in values if v in ACCESSIBILITY_FIELDS]
        return queryset.filter(**{v: True for v in wanted}) if wanted else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("from"):
            queryset = upcoming(queryset)
        return queryset


# How far back an event still running may have started: the lower bound keeps the list's
# index range short, and still shows an evening event that runs past midnight, or a
# symposium over several days.
RUNNING_FOR_AT_MOST = timedelta(days=7)


def upcoming(queryset, now=None):
    """Events that have not ended yet: coming up, or happening now."""
    now = now or timezone.now()
    return queryset.filter(starts_at__gte=now - RUNNING_FOR_AT_MOST, ends_at__gt=now)


def _rename(filterset_class, names: dict[str, str]) -> None:
    renamed = {}
    for key, value in filterset_class.base_filters.items():
        renamed[names.get(key, key)] = value
    filterset_class.base_filters = renamed
    filterset_class.declared_filters = dict(renamed)


_rename(EventFilter, {"date_from": "from", "date_to": "to"})

FILTER_NAMES = list(EventFilter.base_filters)


def organisations_with_events():
    """The organisations the filter offers: those with a published event."""
    published = Event.objects.filter(organisation=OuterRef("pk"), status=Event.Status.PUBLISHED)
    return Organisation.objects.filter(Exists(published)).order_by("name")


def any_used(data) -> bool:
    """Whether the request asks for any filter (page and such do not count)."""
    return any(
        any(v.strip() for v in data.getlist(name)) if hasattr(data, "getlist") else data.get(name)
        for name in FILTER_NAMES
    )
