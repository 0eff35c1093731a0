"""Facilitators' pages: the dashboard, the event form (with sessions and series), publish,
duplicate, cancel, the attendee list and its CSV, check-in, notes and the feedback request.

Thin: parse, check permission (accounts.access.refuse_unless), call events.organising or
events.domain, render. Pages with people's details are never cached.
"""

import csv
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless
from accounts.models import Organisation, Role
from events import organising
from events.forms_organising import (
    CancelForm,
    DuplicateForm,
    EventEditor,
    FeedbackForm,
    NotesForm,
)
from events.models import Event, Registration, Session

Status = Registration.Status
FACILITATING = [Role.FACILITATOR, Role.ADMIN]
PAST_SHOWN = 20


def _event_or_404(pk) -> Event:
    return get_object_or_404(
        Event.objects.select_related("organisation", "venue_location", "series"), pk=pk
    )


def _event_page(event) -> str:
    return event.get_absolute_url()


def _first_message(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Dashboard ------------------------------------------------------------------------------------


def _facilitated(user) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            memberships__user=user, memberships__role__in=FACILITATING
        ).order_by("name")
    )


@never_cache
def manage(request):
    """My organisations' events: drafts, coming up, past and cancelled, with places taken."""
    if not request.user.is_authenticated:
        return refuse_unless(request, "events.add_event", None)
    organisations = _facilitated(request.user)
    now = timezone.now()
    events = (
        Event.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .annotate(
            taken=Sum(
                "registrations__places", filter=Q(registrations__status__in=organising.TAKEN)
            ),
            waiting=Count("registrations", filter=Q(registrations__status=Status.WAITLISTED)),
            pending=Count("registrations", filter=Q(registrations__status=Status.PENDING)),
        )
    )
    sections = [
        ("Drafts", "drafts", events.filter(status=Event.Status.DRAFT).order_by("starts_at")),
        (
            "Coming up",
            "upcoming",
            events.filter(status=Event.Status.PUBLISHED, ends_at__gt=now).order_by("starts_at"),
        ),
        (
            "Past",
            "past",
            events.filter(status=Event.Status.PUBLISHED, ends_at__lte=now).order_by("-starts_at")[
                :PAST_SHOWN
            ],
        ),
        (
            "Cancelled",
            "cancelled",
            events.filter(status=Event.Status.CANCELLED).order_by("-starts_at")[:PAST_SHOWN],
        ),
    ]
    return render(
        request,
        "events/organising/manage.html",
        {
            "organisations": organisations,
            "sections": [(title, key, list(rows)) for title, key, rows in sections],
            "many_organisations": len(organisations) > 1,
            "past_shown": PAST_SHOWN,
        },
    )


# --- The event form -------------------------------------------------------------------------------


def _edit(request, *, organisation, event=None):
    editor = EventEditor(
        request.POST if request.method == "POST" else None, organisation=organisation, event=event
    )
    if request.method == "POST" and editor.is_valid():
        fields = editor.fields()
        sessions = editor.session_rows(fields)
        series = editor.series()
        publish = request.POST.get("action") == "publish"
        try:
            if event is not None:
                event = organising.event_update(
                    event=event, actor=request.user, fields=fields, sessions=sessions
                )
            elif series is not None:
                created = organising.series_create(
                    organisation=organisation,
                    actor=request.user,
                    fields=fields,
                    sessions=sessions,
                    publish=publish,
                    **series,
                )
            else:
                event = organising.event_create(
                    organisation=organisation,
                    actor=request.user,
                    fields=fields,
                    sessions=sessions,
                    publish=publish,
                )
        except ValidationError as error:
            editor.add_error(error)
        else:
            if series is not None and event is None:
                dates = created.events.count()
                state = "published" if publish else "saved as drafts"
                messages.success(request, f"{fields['title']}: {dates} dates {state}.")
                return redirect("events:manage")
            if publish and event.status == Event.Status.PUBLISHED and series is None:
                messages.success(request, f"{event.title} is published.")
            elif event.status == Event.Status.DRAFT:
                messages.success(
                    request, f"{event.title} is saved as a draft. Only facilitators can see it."
                )
            else:
                messages.success(request, f"{event.title} is saved.")
            return redirect(_event_page(event))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "events/organising/edit.html",
        {
            "organisation": organisation,
            "event": event,
            "editor": editor,
            "form": editor.form,
            "sessions": editor.sessions,
            "error_items": editor.error_items() if request.method == "POST" else [],
        },
        status=status,
    )


@never_cache
def event_new(request):
    slug = request.GET.get("organisation", "")
    if not slug:
        if not request.user.is_authenticated:
            return refuse_unless(request, "events.add_event", None)
        organisations = _facilitated(request.user)
        if len(organisations) == 1:
            slug = organisations[0].slug
        else:
            return render(
                request,
                "events/organising/choose_organisation.html",
                {"organisations": organisations},
                status=200 if organisations else 403,
            )
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "events.add_event", organisation):
        return refusal
    return _edit(request, organisation=organisation)


@never_cache
def event_edit(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    if event.status == Event.Status.CANCELLED:
        messages.error(request, "This event has been cancelled, so it cannot be changed.")
        return redirect(_event_page(event))
    return _edit(request, organisation=event.organisation, event=event)


# --- Publish, duplicate, cancel -------------------------------------------------------------------


@never_cache
def event_publish(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    problem = None
    if request.method == "POST":
        try:
            event = organising.event_publish(event=event, actor=request.user)
        except ValidationError as error:
            problem = _first_message(error)
        else:
            messages.success(request, f"{event.title} is published. People can now register.")
            return redirect(_event_page(event))
    return render(
        request,
        "events/organising/publish.html",
        {"event": event, "problem": problem},
        status=400 if problem else 200,
    )


@never_cache
def event_duplicate(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    form = DuplicateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = organising.event_duplicate(
                event=event, actor=request.user, starts_on=form.cleaned_data["starts_on"]
            )
        except ValidationError as error:
            form.add_error("starts_on" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(
                request,
                f"A copy of {event.title} is saved as a draft. Check the details, then publish it.",
            )
            return redirect("events:edit", copy.pk)
    return render(
        request,
        "events/organising/duplicate.html",
        {"event": event, "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
def event_cancel(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    form = CancelForm(request.POST if request.method == "POST" else None)
    told = Registration.objects.filter(
        event=event, status__in=organising.TOLD_OF_CANCELLATION
    ).count()
    if request.method == "POST" and form.is_valid():
        try:
            event = organising.event_cancel(
                event=event, actor=request.user, reason=form.cleaned_data["cancelled_reason"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error("cancelled_reason", error.messages)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                f"{event.title} is cancelled. "
                + (
                    f"We are emailing the {told} people registered."
                    if told != 1
                    else "We are emailing the 1 person registered."
                ),
            )
            return redirect(_event_page(event))
    return render(
        request,
        "events/organising/cancel.html",
        {"event": event, "form": form, "told": told},
        status=400 if form.errors else 200,
    )


# --- Attendees ------------------------------------------------------------------------------------

LIST_ORDER = {
    Status.ATTENDED: 0,
    Status.CONFIRMED: 0,
    Status.NO_SHOW: 0,
    Status.OFFERED: 1,
    Status.PENDING: 2,
    Status.WAITLISTED: 3,
    Status.CANCELLED: 4,
}


def person_name(registration) -> str:
    if registration.user_id:
        profile = getattr(registration.user, "profile", None)
        name = profile.display_name if profile is not None else ""
        return name or registration.user.email
    return registration.guest_name


def _registrations(event):
    return list(
        Registration.objects.filter(event=event)
        .select_related("user__profile", "session")
        .order_by("created_at", "id")
    )


def _attendee_rows(event) -> list[dict]:
    rows = [
        {"registration": r, "name": person_name(r), "email": r.email} for r in _registrations(event)
    ]
    rows.sort(
        key=lambda row: (
            LIST_ORDER.get(row["registration"].status, 9),
            row["registration"].waitlisted_at or row["registration"].created_at,
        )
    )
    return rows


@never_cache
def attendees(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.view_attendees", event):
        return refusal
    rows = _attendee_rows(event)
    sessions = list(Session.objects.filter(event=event))
    taken = sum(
        r["registration"].places for r in rows if r["registration"].status in organising.TAKEN
    )
    counts = {status: 0 for status in Status.values}
    for row in rows:
        counts[row["registration"].status] += 1
    return render(
        request,
        "events/organising/attendees.html",
        {
            "event": event,
            "rows": [r for r in rows if r["registration"].status != Status.CANCELLED],
            "cancelled": [r for r in rows if r["registration"].status == Status.CANCELLED],
            "sessions": sessions,
            "taken": taken,
            "counts": counts,
        },
    )


_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


@never_cache
def attendees_csv(request, pk):
    """The list as a spreadsheet, for a sign-in sheet or a headcount.

    Access needs, what people asked help with and email addresses are left out: a file leaves
    our care (it is forwarded, printed, kept on laptops) and cannot be deleted 30 days after the
    event as the portal does. They stay on the attendee page, for the facilitators only.
    """
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.view_attendees", event):
        return refusal
    day = timezone.localtime(event.starts_at).date().isoformat()
    filename = f"{slugify(event.title)[:60] or 'event'}-{day}-attendees.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    with_sessions = Session.objects.filter(event=event).exists()
    header = ["Name", "Places", "Status"]
    if with_sessions:
        header.append("Session")
    header += ["Registered", "Checked in"]
    writer.writerow(header)
    for row in _attendee_rows(event):
        registration = row["registration"]
        if registration.status == Status.CANCELLED:
            continue
        line = [_cell(row["name"]), registration.places, registration.get_status_display()]
        if with_sessions:
            line.append(_cell(str(registration.session) if registration.session_id else ""))
        line += [
            timezone.localtime(registration.created_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(registration.checked_in_at).strftime("%H:%M")
            if registration.checked_in_at
            else "",
        ]
        writer.writerow(line)
    return response


# --- Check-in -------------------------------------------------------------------------------------

CHECK_IN_STATUSES = [Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW]


@never_cache
def check_in(request, pk):
    """On a phone at the door: a search box by name, one big button per person."""
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.check_in", event):
        return refusal
    query = request.GET.get("q", "").strip()
    registrations = (
        Registration.objects.filter(event=event, status__in=CHECK_IN_STATUSES)
        .select_related("user__profile", "session")
        .order_by("created_at", "id")
    )
    everyone = [{"registration": r, "name": person_name(r)} for r in registrations]
    everyone.sort(key=lambda row: row["name"].casefold())
    words = query.casefold().split()
    shown = [row for row in everyone if all(word in row["name"].casefold() for word in words)]
    here = sum(1 for row in everyone if row["registration"].status == Status.ATTENDED)
    now = timezone.now()
    return render(
        request,
        "events/organising/check_in.html",
        {
            "event": event,
            "rows": shown,
            "query": query,
            "total": len(everyone),
            "here": here,
            "people_here": sum(
                r["registration"].places
                for r in everyone
                if r["registration"].status == Status.ATTENDED
            ),
            "still_expected": sum(
                1 for row in everyone if row["registration"].status == Status.CONFIRMED
            ),
            "finished": event.ends_at <= now,
        },
    )


def _back_to_check_in(event, query: str, anchor: str = "") -> str:
    url = reverse("events:check_in", args=[event.pk])
    if query:
        url += "?" + urlencode({"q": query})
    return url + (f"#{anchor}" if anchor else "")


@require_POST
def check_in_mark(request, pk, registration_pk):
    """One POST per person: here (attended), or undo (back to confirmed)."""
    from events.domain import registration_set_attendance

    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.check_in", event):
        return refusal
    registration = get_object_or_404(
        Registration.objects.select_related("event", "user__profile"),
        pk=registration_pk,
        event=event,
    )
    status = request.POST.get("status", Status.ATTENDED)
    query = request.POST.get("q", "")
    try:
        registration = registration_set_attendance(
            registration=registration, status=status, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        name = person_name(registration)
        if registration.status == Status.ATTENDED:
            messages.success(request, f"{name} is checked in.")
        else:
            messages.success(request, f"{name} is no longer marked as here.")
    return redirect(_back_to_check_in(event, query, f"person-{registration.pk}"))


@require_POST
def check_in_rest(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.check_in", event):
        return refusal
    try:
        marked = organising.attendance_mark_rest(event=event, actor=request.user)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        people = "person" if marked == 1 else "people"
        messages.success(request, f"{marked} {people} marked as did not come.")
    return redirect(_back_to_check_in(event, ""))


# --- After the event ------------------------------------------------------------------------------


@never_cache
def notes(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    initial = {"notes_key_themes": event.notes_key_themes, "notes_actions": event.notes_actions}
    form = NotesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = organising.notes_publish(
                event=event,
                actor=request.user,
                key_themes=form.cleaned_data["notes_key_themes"],
                actions=form.cleaned_data["notes_actions"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for key, errors in error.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, "The notes are published on the event page.")
            return redirect(_event_page(event))
    return render(
        request,
        "events/organising/notes.html",
        {"event": event, "form": form, "started": event.starts_at <= timezone.now()},
        status=400 if form.errors else 200,
    )


@never_cache
def feedback(request, pk):
    event = _event_or_404(pk)
    if refusal := refuse_unless(request, "events.change_event", event):
        return refusal
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    attended = Registration.objects.filter(event=event, status=Status.ATTENDED).count()
    if request.method == "POST" and form.is_valid():
        try:
            sent = organising.feedback_request(
                event=event,
                actor=request.user,
                message=form.cleaned_data["message"],
                link=form.cleaned_data["link"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            people = "person" if sent == 1 else "people"
            messages.success(request, f"We are asking the {sent} {people} who came for feedback.")
            return redirect(_event_page(event))
    return render(
        request,
        "events/organising/feedback.html",
        {
            "event": event,
            "form": form,
            "attended": attended,
            "finished": event.ends_at <= timezone.now(),
        },
        status=400 if form.errors else 200,
    )
