"""The editor's one-page form: a service with its locations (each with a weekly grid of opening
hours), contacts, phones, areas served, categories and links, read into a domain snapshot.

Plain Django forms and formsets, no JavaScript needed: each formset renders a blank row or two
("extra" forms) for adding, and a "Remove" box on each existing row. `ServiceEditor` bundles
them, validates them together, gives the error summary and builds the snapshot.
"""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from services import domain, postcodes
from services.models import Location, Phone, Schedule, Service, ServiceLink, TaxonomyTerm

# How many services the link picker lists; past that, editors paste the service's address.
LINK_CHOICES_LIMIT = 300
MAX_SESSIONS = 2  # sessions per day in the hours grid: enough for a lunch break

_TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")


def _text(value) -> str:
    """Form text as stored: trimmed, with the browser's CRLF line ends made plain."""
    return (value or "").replace("\r\n", "\n").strip()


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class TimeOfDayField(forms.Field):
    """A time as people type it: 09:30, 9.30, 0930, 9am, 5:30pm. Shows back what was typed."""

    default_error_messages = {"invalid": "Enter a time like 09:30 or 5pm"}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": "6"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, time):
            return value
        text = (value or "").strip().lower()
        if not text:
            return None
        if text in ("noon", "midday"):
            return time(12, 0)
        match = _TIME.match(text)
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
        if half:
            if not 1 <= hour <= 12:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            hour = hour % 12 + (12 if half.startswith("p") else 0)
        if hour > 23 or minute > 59:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return time(hour, minute)

    def prepare_value(self, value):
        return value.strftime("%H:%M") if isinstance(value, time) else value


def _input(bound_field, *, extra_class: str = "") -> str:
    """A widget with NHS.UK classes and its hint/error wiring, for fields laid out by hand."""
    css = "nhsuk-input" + (f" {extra_class}" if extra_class else "")
    attrs = {"class": css + (" nhsuk-input--error" if bound_field.errors else "")}
    if bound_field.errors:
        attrs["aria-describedby"] = f"{bound_field.auto_id}-error"
    return bound_field.as_widget(attrs=attrs)


def _choice_widget(kind: str):
    if kind == "checkbox":
        return forms.CheckboxSelectMultiple(attrs={"class": "nhsuk-checkboxes__input"})
    return forms.RadioSelect(attrs={"class": "nhsuk-radios__input"})


# --- The service itself -------------------------------------------------------------------------


def _model_field(name: str, **kwargs):
    field = Service._meta.get_field(name)
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ServiceForm(forms.Form):
    name = _model_field(
        "name",
        label="Name of the service",
        error_messages={"required": "Enter the name of the service"},
    )
    summary = _model_field(
        "summary",
        help_text="One sentence that says what it offers, shown in search results.",
        error_messages={"required": "Enter a one-line summary"},
    )
    description = _model_field(
        "description",
        help_text="What happens there, who runs it, what to expect on a first visit.",
        error_messages={"required": "Enter a description"},
    )
    status = _model_field("status")
    url = _model_field("url")
    email = _model_field("email")
    is_free = _model_field("is_free")
    fees_description = _model_field("fees_description", help_text="Leave empty if it is free.")
    minimum_age = _model_field("minimum_age", max_value=120)
    maximum_age = _model_field("maximum_age", max_value=120)
    languages = forms.CharField(
        required=False,
        max_length=500,
        help_text="Separate languages with commas, for example: English, Urdu, Polish",
    )
    interpretation_services = _model_field(
        "interpretation_services", help_text="For example: BSL interpreters on request."
    )
    attending_modes = forms.MultipleChoiceField(
        label="How people take part",
        required=False,
        choices=Service.AttendingMode.choices,
        widget=_choice_widget("checkbox"),
    )
    alert = _model_field("alert", label="Announcement")
    alert_starts_at = forms.DateField(
        label="Show the announcement from",
        required=False,
        help_text="For example, 24/12/2025. Leave empty to show it now.",
    )
    alert_ends_at = forms.DateField(
        label="Show the announcement until",
        required=False,
        help_text="The last day it is shown. Leave empty to show it until you remove it.",
    )

    referral_routes = forms.MultipleChoiceField(
        label="Who can refer",
        required=False,
        choices=Service.Referrer.choices,
        widget=_choice_widget("checkbox"),
    )
    referral_named_teams = _model_field(
        "referral_named_teams", help_text="Only if named teams may refer."
    )
    referral_form_url = _model_field("referral_form_url", label="Referral form (web address)")
    referral_email = _model_field("referral_email")
    referral_phone = _model_field("referral_phone")
    referral_information = _model_field(
        "referral_information", help_text="What a referrer should have ready."
    )
    eligibility = _model_field("eligibility")
    exclusions = _model_field("exclusions")
    accepting_referrals = forms.ChoiceField(
        label="Is it accepting referrals now?",
        choices=Service.Accepting.choices,
        initial=Service.Accepting.UNKNOWN,
        widget=_choice_widget("radio"),
    )
    typical_wait = _model_field("typical_wait", label="Typical wait now")

    taxonomy_terms = forms.MultipleChoiceField(
        label="Categories", required=False, widget=_choice_widget("checkbox")
    )
    postcode_districts = forms.CharField(
        label="Postcode districts",
        required=False,
        max_length=1000,
        help_text="The first part of the postcodes it takes people from, separated by commas, "
        "for example: LS6, LS7, LS8",
    )
    local_authorities = forms.CharField(
        label="Local authorities",
        required=False,
        max_length=1000,
        help_text="Whole council areas it covers, separated by commas, for example: Leeds",
    )

    def __init__(self, *args, terms: list[TaxonomyTerm], start_fields: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_fields = start_fields
        children: dict = {}
        for term in terms:
            children.setdefault(term.parent_id, []).append(term)
        self.term_groups = [
            (parent, children.get(parent.pk, [])) for parent in children.get(None, [])
        ]
        self.fields["taxonomy_terms"].choices = [
            (term.code, term.name) for parent, kids in self.term_groups for term in [parent, *kids]
        ]

    def category_groups(self):
        """(legend, [checkbox, ...]) per top-level category: the category and its children."""
        options = {option.data["value"]: option for option in self["taxonomy_terms"]}
        return [
            (parent.name, [options[t.code] for t in [parent, *kids]])
            for parent, kids in self.term_groups
        ]

    def clean_languages(self):
        seen: dict[str, None] = {}
        for language in _split(self.cleaned_data["languages"]):
            if len(language) > 50:
                raise forms.ValidationError("Each language must be 50 characters or fewer")
            seen[language.title()] = None
        return list(seen)

    def clean_postcode_districts(self):
        districts = [
            d.upper().replace(" ", "") for d in _split(self.cleaned_data["postcode_districts"])
        ]
        wrong = [d for d in districts if not _DISTRICT.match(d)]
        if wrong:
            raise forms.ValidationError(
                f"{', '.join(wrong)} "
                + (
                    "is not a postcode district"
                    if len(wrong) == 1
                    else "are not postcode districts"
                )
                + ". Enter the first part of a postcode, like LS6"
            )
        return list(dict.fromkeys(districts))

    def clean_local_authorities(self):
        return list(dict.fromkeys(_split(self.cleaned_data["local_authorities"])))

    def clean(self):
        data = super().clean()
        low, high = data.get("minimum_age"), data.get("maximum_age")
        if low is not None and high is not None and high < low:
            self.add_error(
                "maximum_age", "The maximum age must be the same as or more than the minimum age"
            )
        starts, ends = data.get("alert_starts_at"), data.get("alert_ends_at")
        if starts and ends and ends < starts:
            self.add_error(
                "alert_ends_at", "The last day must be the same as or after the first day"
            )
        if (starts or ends) and not _text(data.get("alert")) and "alert" not in self.errors:
            self.add_error("alert", "Enter the announcement, or clear its dates")
        routes = data.get("referral_routes") or []
        if Service.Referrer.NAMED_TEAMS in routes and not _text(data.get("referral_named_teams")):
            self.add_error("referral_named_teams", "Say which teams can refer")
        return data

    # Dates of the announcement: a whole day in local time, stored as the instant it starts.
    def _alert_moment(self, name: str, day, *, end: bool):
        original = self.start_fields.get(name)
        if original and day == self.initial.get(name):
            return original  # unchanged: keep the stored instant exactly
        if day is None:
            return None
        if end:
            day = day + timedelta(days=1)
        moment = timezone.make_aware(datetime.combine(day, time(0, 0)))
        return moment.astimezone(UTC).isoformat()

    def snapshot_fields(self) -> dict:
        data = self.cleaned_data
        fields = {}
        for name in domain.SNAPSHOT_FIELDS:
            value = data.get(name)
            if isinstance(value, str):
                value = _text(value)
            fields[name] = value
        fields["alert_starts_at"] = self._alert_moment(
            "alert_starts_at", data.get("alert_starts_at"), end=False
        )
        fields["alert_ends_at"] = self._alert_moment(
            "alert_ends_at", data.get("alert_ends_at"), end=True
        )
        return fields

    def service_areas(self) -> list[dict]:
        return [
            {"kind": "postcode_district", "value": d}
            for d in self.cleaned_data["postcode_districts"]
        ] + [
            {"kind": "local_authority", "value": a} for a in self.cleaned_data["local_authorities"]
        ]


def _local_day(value, *, end: bool):
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not moment:
        return None
    moment = timezone.localtime(moment)
    return (moment - timedelta(microseconds=1)).date() if end else moment.date()


def service_initial(snapshot: dict) -> dict:
    fields = dict(snapshot.get("fields", {}))
    fields["languages"] = ", ".join(fields.get("languages") or [])
    fields["alert_starts_at"] = _local_day(fields.get("alert_starts_at"), end=False)
    fields["alert_ends_at"] = _local_day(fields.get("alert_ends_at"), end=True)
    areas = snapshot.get("service_areas", [])
    fields["postcode_districts"] = ", ".join(
        a["value"] for a in areas if a["kind"] == "postcode_district"
    )
    fields["local_authorities"] = ", ".join(
        a["value"] for a in areas if a["kind"] == "local_authority"
    )
    fields["taxonomy_terms"] = list(snapshot.get("taxonomy_terms", []))
    return fields


# --- Locations, each with its weekly hours ----------------------------------------------------

SESSION_SUFFIXES = ["", "2"]  # h1_opens / h1_opens2: first and second session of a day


class LocationForm(forms.Form):
    id = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        label="Name of the place",
        required=False,
        max_length=200,
        help_text="For example: The Old Bell community centre",
    )
    location_type = forms.ChoiceField(
        label="Kind of location", choices=Location.Type.choices, initial=Location.Type.PHYSICAL
    )
    address_1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    address_2 = forms.CharField(label="Address line 2 (optional)", required=False, max_length=200)
    city = forms.CharField(label="Town or city", required=False, max_length=100)
    region = forms.CharField(label="County (optional)", required=False, max_length=100)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    confidential = forms.BooleanField(
        label="Keep the address confidential (a refuge or safe house)",
        required=False,
        help_text="The address is then never shown or published, only the area below.",
    )
    public_area = forms.CharField(
        label="Area to show instead of the address",
        required=False,
        max_length=100,
        help_text="Needed if the address is confidential, for example: North Leeds",
    )
    accessibility = forms.MultipleChoiceField(
        label="Accessibility",
        required=False,
        choices=Location.Accessibility.choices,
        widget=_choice_widget("checkbox"),
    )
    accessibility_notes = forms.CharField(
        label="More about access (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    transport = forms.CharField(
        label="Getting there (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Buses, parking, the nearest station.",
    )

    def __init__(self, *args, known: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known
        for day in Schedule.Day:
            for suffix, words in zip(SESSION_SUFFIXES, ["", " again"], strict=True):
                self.fields[f"h{day.value}_opens{suffix}"] = TimeOfDayField(
                    label=f"{day.label} opens{words}"
                )
                self.fields[f"h{day.value}_closes{suffix}"] = TimeOfDayField(
                    label=f"{day.label} closes{words}"
                )
            self.fields[f"h{day.value}_notes"] = forms.CharField(
                label=f"{day.label} notes",
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"size": "14"}),
            )
        self.dropped_days = self.initial.get("_dropped_days", [])

    @property
    def title(self) -> str:
        return self.initial.get("name") or self.initial.get("address_1") or ""

    def hours_rows(self):
        """The grid, a row a day, with each input's HTML (label hidden; the table heads it)."""
        rows = []
        for day in Schedule.Day:
            names = [
                f"h{day.value}_opens",
                f"h{day.value}_closes",
                f"h{day.value}_opens2",
                f"h{day.value}_closes2",
                f"h{day.value}_notes",
            ]
            cells = []
            for name in names:
                bound = self[name]
                width = (
                    "nhsuk-input--width-10" if name.endswith("_notes") else "nhsuk-input--width-4"
                )
                cells.append({"field": bound, "html": _input(bound, extra_class=width)})
            rows.append({"label": day.label, "cells": cells})
        return rows

    def clean(self):
        data = super().clean()
        if not any(_text(data.get(f)) for f in ("name", "address_1", "postcode")) and (
            data.get("location_type") != Location.Type.VIRTUAL
        ):
            self.add_error("name", "Enter the name of the place or its address")
        if data.get("confidential") and not _text(data.get("public_area")):
            self.add_error("public_area", "Enter the area to show instead of the address")
        self._clean_postcode(data)
        self._clean_hours(data)
        return data

    def _clean_postcode(self, data):
        typed = _text(data.get("postcode"))
        data["latitude"] = data["longitude"] = None
        if not typed or "postcode" in self.errors:
            data["postcode"] = typed
            return
        known = self.known.get(data.get("id") or "")
        if known and postcodes.normalise(known.get("postcode") or "") == postcodes.normalise(typed):
            data["postcode"] = known.get("postcode")
            data["latitude"], data["longitude"] = known.get("latitude"), known.get("longitude")
            return
        try:
            found = postcodes.lookup(typed)
        except (postcodes.InvalidPostcode, postcodes.UnknownPostcode) as error:
            self.add_error("postcode", error.message)
        except postcodes.PostcodeServiceUnavailable:
            # Saved without a point on the map; a later save looks it up again.
            data["postcode"] = postcodes.normalise(typed)
        else:
            data["postcode"] = found.postcode
            data["latitude"], data["longitude"] = found.latitude, found.longitude

    def _clean_hours(self, data):
        schedules = []
        for day in Schedule.Day:
            d = day.value
            previous_close = None
            sessions = 0
            for suffix in SESSION_SUFFIXES:
                opens_name, closes_name = f"h{d}_opens{suffix}", f"h{d}_closes{suffix}"
                if opens_name in self.errors or closes_name in self.errors:
                    continue
                opens, closes = data.get(opens_name), data.get(closes_name)
                if opens is None and closes is None:
                    continue
                if closes is None:
                    self.add_error(closes_name, f"Enter the time it closes on {day.label}")
                elif opens is None:
                    self.add_error(opens_name, f"Enter the time it opens on {day.label}")
                elif closes <= opens:
                    self.add_error(
                        closes_name,
                        f"On {day.label} the closing time must be after the opening time",
                    )
                elif previous_close is not None and opens < previous_close:
                    self.add_error(
                        opens_name,
                        f"On {day.label} the second session must start after the first one closes",
                    )
                else:
                    schedules.append(
                        {
                            "weekday": d,
                            "opens_at": opens.strftime("%H:%M"),
                            "closes_at": closes.strftime("%H:%M"),
                            "notes": _text(data.get(f"h{d}_notes")) if sessions == 0 else "",
                        }
                    )
                    sessions += 1
                    previous_close = closes
            notes_name = f"h{d}_notes"
            if _text(data.get(notes_name)) and not any(
                data.get(f"h{d}_{part}{suffix}") is not None
                or f"h{d}_{part}{suffix}" in self.errors
                for part in ("opens", "closes")
                for suffix in SESSION_SUFFIXES
            ):
                self.add_error(
                    notes_name, f"Enter the opening times on {day.label}, or clear the note"
                )
        data["schedules"] = schedules

    def snapshot(self) -> dict:
        data = self.cleaned_data
        location_id = data.get("id") or ""
        return {
            "id": location_id if location_id in self.known else None,
            "name": _text(data["name"]),
            "location_type": data["location_type"],
            "address_1": _text(data["address_1"]),
            "address_2": _text(data["address_2"]),
            "city": _text(data["city"]),
            "region": _text(data["region"]),
            "postcode": data["postcode"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "accessibility": list(data["accessibility"]),
            "accessibility_notes": _text(data["accessibility_notes"]),
            "transport": _text(data["transport"]),
            "confidential": data["confidential"],
            "public_area": _text(data["public_area"]),
            "schedules": data["schedules"],
        }


def location_initial(location: dict) -> dict:
    initial = {f: location.get(f) for f in domain.LOCATION_FIELDS}
    initial["id"] = location.get("id") or ""
    by_day: dict[int, list[dict]] = {}
    for s in sorted(location.get("schedules", []), key=lambda s: (s["weekday"], s["opens_at"])):
        by_day.setdefault(int(s["weekday"]), []).append(s)
    dropped = []
    for day, sessions in by_day.items():
        for suffix, s in zip(SESSION_SUFFIXES, sessions, strict=False):
            initial[f"h{day}_opens{suffix}"] = str(s["opens_at"])[:5]
            initial[f"h{day}_closes{suffix}"] = str(s["closes_at"])[:5]
        initial[f"h{day}_notes"] = sessions[0].get("notes", "")
        if len(sessions) > MAX_SESSIONS:
            dropped.append(Schedule.Day(day).label)
    initial["_dropped_days"] = dropped
    return initial


# --- Contacts and phone numbers ----------------------------------------------------------------


class ContactForm(forms.Form):
    id = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Name", required=False, max_length=200)
    title = forms.CharField(label="Job title or team", required=False, max_length=200)
    email = forms.EmailField(label="Email address", required=False)
    phone = forms.CharField(label="Phone number", required=False, max_length=30)

    def __init__(self, *args, known: set, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known

    def clean_phone(self):
        phone = _text(self.cleaned_data["phone"])
        if phone and not _PHONE.match(phone):
            raise forms.ValidationError("Enter a phone number, like 0113 496 0000")
        return phone

    def clean(self):
        data = super().clean()
        if not _text(data.get("name")) and not _text(data.get("title")):
            self.add_error("name", "Enter a name, or a job title or team")
        return data

    def snapshot(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data["id"] if data["id"] in self.known else None,
            "name": _text(data["name"]),
            "title": _text(data["title"]),
            "email": _text(data["email"]),
            "phone": data["phone"],
        }


class PhoneForm(forms.Form):
    id = forms.CharField(required=False, widget=forms.HiddenInput)
    number = forms.CharField(
        label="Phone number",
        max_length=30,
        error_messages={"required": "Enter the phone number"},
    )
    extension = forms.CharField(label="Extension (optional)", required=False, max_length=10)
    type = forms.ChoiceField(label="Kind", choices=Phone.Type.choices, initial=Phone.Type.VOICE)
    description = forms.CharField(
        label="What it is for (optional)",
        required=False,
        max_length=200,
        help_text="For example: Bookings, Monday to Friday",
    )

    def __init__(self, *args, known: set, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known

    def clean_number(self):
        number = _text(self.cleaned_data["number"])
        if not _PHONE.match(number):
            raise forms.ValidationError("Enter a phone number, like 0113 496 0000")
        return number

    def snapshot(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data["id"] if data["id"] in self.known else None,
            "number": data["number"],
            "extension": _text(data["extension"]),
            "type": data["type"],
            "description": _text(data["description"]),
        }


# --- Links to other services ---------------------------------------------------------------------


class LinkForm(forms.Form):
    kind = forms.ChoiceField(
        label="How it is linked",
        choices=[("", "Choose one"), *ServiceLink.Kind.choices],
        required=False,
    )
    to_service = forms.ChoiceField(label="Service", required=False)
    reference = forms.CharField(
        label="Or paste the address of the service's page, or its id",
        required=False,
        max_length=300,
        help_text="For example: https://joinedup.example/services/0b7c…/",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=300,
        help_text="For example: Ask your care coordinator to refer",
    )

    def __init__(self, *args, service_choices: list, service_id: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_service"].choices = service_choices
        self.service_id = service_id

    def clean(self):
        data = super().clean()
        chosen = data.get("to_service") or ""
        reference = _text(data.get("reference"))
        pasted = None
        if reference:
            match = _UUID.search(reference)
            if match is None:
                self.add_error(
                    "reference",
                    "Paste the address of the service's page, for example "
                    "https://joinedup.example/services/<id>/",
                )
            else:
                pasted = str(uuid.UUID(match[0]))
        if chosen and pasted and chosen != pasted:
            self.add_error(
                "reference", "Choose the service from the list or paste its address, not both"
            )
        target = pasted or chosen
        if not target and "reference" not in self.errors:
            self.add_error("to_service", "Choose a service, or paste the address of its page")
        if target and target == self.service_id:
            self.add_error("to_service", "A service cannot be linked to itself")
        if not data.get("kind"):
            self.add_error("kind", "Choose how the services are linked")
        data["target"] = target
        return data

    def snapshot(self) -> dict:
        data = self.cleaned_data
        return {"to_service": data["target"], "kind": data["kind"], "note": _text(data["note"])}


class RowsFormSet(forms.BaseFormSet):
    """Rows that are left empty are ignored; rows ticked "Remove" are dropped."""

    def rows(self):
        return [
            form
            for form in self.forms
            if form.has_changed() or form.initial
            if not (self.can_delete and self._should_delete_form(form))
            if getattr(form, "cleaned_data", None)
        ]


class LinkFormSet(RowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        wanted = {}
        for form in self.rows():
            key = (form.cleaned_data["target"], form.cleaned_data["kind"])
            if key in seen:
                form.add_error("to_service", "This link is listed twice")
            seen.add(key)
            wanted.setdefault(form.cleaned_data["target"], []).append(form)
        found = {
            str(pk)
            for pk in Service.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True)
        }
        for target, forms_ in wanted.items():
            if target not in found:
                for form in forms_:
                    field = "reference" if form.cleaned_data.get("reference") else "to_service"
                    form.add_error(field, "We could not find that service in the directory")


def _formset(form, *, extra, formset=RowsFormSet, max_num=30):
    return forms.formset_factory(
        form,
        formset=formset,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,
        max_num=max_num,
        validate_max=True,
    )


LocationFormSet = _formset(LocationForm, extra=1, max_num=20)
ContactFormSet = _formset(ContactForm, extra=1)
PhoneFormSet = _formset(PhoneForm, extra=2)
LinkFormSet = _formset(LinkForm, extra=2, formset=LinkFormSet)


def link_choices(*, service_id: str | None, linked: list[str]) -> tuple[list, bool]:
    """The picker's options, grouped by organisation: active services (and any already linked),
    at most LINK_CHOICES_LIMIT. Returns (choices, truncated)."""
    rows = list(
        Service.objects.filter(Q(status=Service.Status.ACTIVE) | Q(pk__in=linked))
        .exclude(pk=service_id)
        .order_by("organisation__name", "name")
        .values_list("pk", "name", "organisation__name")[: LINK_CHOICES_LIMIT + 1]
    )
    truncated = len(rows) > LINK_CHOICES_LIMIT
    groups: dict[str, list] = {}
    for pk, name, organisation in rows[:LINK_CHOICES_LIMIT]:
        groups.setdefault(organisation, []).append((str(pk), name))
    return [("", "Choose a service"), *groups.items()], truncated


# --- The whole page ------------------------------------------------------------------------------


class ServiceEditor:
    """The service form and its formsets, validated together into one snapshot."""

    def __init__(self, data=None, *, start: dict | None, known: list[dict]):
        start = start or {"id": None, "fields": {}}
        self.service_id = start.get("id")
        terms = list(TaxonomyTerm.objects.order_by("name"))
        self.form = ServiceForm(
            data, initial=service_initial(start), terms=terms, start_fields=start.get("fields", {})
        )

        def ids(section):
            return {row["id"] for snap in known for row in snap.get(section, []) if row.get("id")}

        known_locations = {
            row["id"]: row for snap in known for row in snap.get("locations", []) if row.get("id")
        }
        self.locations = LocationFormSet(
            data,
            prefix="locations",
            initial=[location_initial(row) for row in start.get("locations", [])],
            form_kwargs={"known": known_locations},
        )
        self.contacts = ContactFormSet(
            data,
            prefix="contacts",
            initial=[dict(row, id=row.get("id") or "") for row in start.get("contacts", [])],
            form_kwargs={"known": ids("contacts")},
        )
        self.phones = PhoneFormSet(
            data,
            prefix="phones",
            initial=[dict(row, id=row.get("id") or "") for row in start.get("phones", [])],
            form_kwargs={"known": ids("phones")},
        )
        start_links = start.get("links", [])
        choices, self.links_truncated = link_choices(
            service_id=self.service_id, linked=[row["to_service"] for row in start_links]
        )
        offered = {value for _group, options in choices[1:] for value, _label in options}
        self.links = LinkFormSet(
            data,
            prefix="links",
            initial=[
                {
                    "kind": row["kind"],
                    "to_service": row["to_service"] if row["to_service"] in offered else "",
                    "reference": "" if row["to_service"] in offered else row["to_service"],
                    "note": row.get("note", ""),
                }
                for row in start_links
            ],
            form_kwargs={"service_choices": choices, "service_id": self.service_id},
        )
        self.formsets = [
            ("Location", self.locations),
            ("Contact", self.contacts),
            ("Phone number", self.phones),
            ("Link", self.links),
        ]
        for label, formset in self.formsets:
            for form in formset.forms:
                if "DELETE" in form.fields:
                    form.fields["DELETE"].label = f"Remove this {label.lower()}"

    def is_valid(self) -> bool:
        results = [self.form.is_valid()] + [fs.is_valid() for _label, fs in self.formsets]
        return all(results)

    def snapshot(self) -> dict:
        return {
            "id": self.service_id,
            "fields": self.form.snapshot_fields(),
            "taxonomy_terms": sorted(self.form.cleaned_data["taxonomy_terms"]),
            "locations": [form.snapshot() for form in self.locations.rows()],
            "contacts": [form.snapshot() for form in self.contacts.rows()],
            "phones": [form.snapshot() for form in self.phones.rows()],
            "service_areas": self.form.service_areas(),
            "links": [form.snapshot() for form in self.links.rows()],
        }

    def add_error(self, error: forms.ValidationError) -> None:
        """An error from the domain: by its field when it names one of ours, else at the top."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                field = name if name in self.form.fields else None
                for e in errors:
                    self.form.add_error(field, e.messages if field is None else e)
        else:
            self.form.add_error(None, error.messages)

    @staticmethod
    def _href(bound_field) -> str:
        widget = bound_field.field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            return f"#{bound_field.auto_id}_0"
        return f"#{bound_field.auto_id}"

    def error_items(self) -> list[dict]:
        """For the error summary: each message, linking to its field, rows named."""
        items = [{"text": e, "href": None} for e in self.form.non_field_errors()]
        for bound in self.form:
            items += [{"text": e, "href": self._href(bound)} for e in bound.errors]
        for label, formset in self.formsets:
            items += [{"text": e, "href": None} for e in formset.non_form_errors()]
            for number, form in enumerate(formset.forms, start=1):
                if not form.errors:
                    continue
                where = f"{label} {number}"
                items += [{"text": f"{where}: {e}", "href": None} for e in form.non_field_errors()]
                for bound in form:
                    items += [
                        {"text": f"{where}: {e}", "href": self._href(bound)} for e in bound.errors
                    ]
        return items
