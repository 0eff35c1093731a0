"""Registration pages: book a place, the confirmation, my events, and the emailed links.

Thin: parse the request, call events.domain, render. A link from an email never changes anything
on GET (mail scanners follow links): it shows a page with a button, and the POST acts.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless, safe_next
from events import domain, tokens
from events.forms import RegistrationForm
from events.models import ACTIVE_STATUSES, Event, Registration

Status = Registration.Status
SESSION_KEY = "events_registrations"  # registrations made in this browser (for guests' pages)
GUEST_REGISTRATIONS_PER_HOUR = 20  # a brake on misuse from one address, not a quota
FIELD_FOR = {"places": "companion"}


def _registration(pk):
    return get_object_or_404(
        Registration.objects.select_related("event", "event__organisation", "session", "user"),
        pk=pk,
    )


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Booking a place ---------------------------------------------------------------------------


def _guest_budget_spent(request) -> bool:
    key = f"events:guest-registrations:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) > GUEST_REGISTRATIONS_PER_HOUR


def register(request, pk):
    event = get_object_or_404(Event.objects.select_related("organisation"), pk=pk)
    if not rules.has_perm("events.view_event", request.user, event):
        raise Http404
    closed = domain.registration_closed_reason(event)
    existing = domain.my_registration(event, request.user)
    summary = domain.places_summary(event)
    sessions = domain.sessions_with_places(event, summary["places_left"])
    form = RegistrationForm(
        request.POST if request.method == "POST" else None,
        event=event,
        user=request.user,
        sessions=sessions,
    )
    if request.method == "POST" and not closed and existing is None and form.is_valid():
        if form.is_guest and _guest_budget_spent(request):
            form.add_error(
                None,
                "A lot of places have been booked from this connection in the last hour. "
                "Please try again later, or contact the organisers.",
            )
        else:
            try:
                registration = domain.registration_create(
                    event=event, user=request.user, **form.domain_arguments()
                )
            except ValidationError as error:
                _add_errors(form, error, event)
            else:
                remembered = request.session.get(SESSION_KEY, [])[-19:]
                request.session[SESSION_KEY] = [*remembered, str(registration.pk)]
                return redirect("events:registration_done", registration.pk)
    return render(
        request,
        "events/registration/register.html",
        {
            "event": event,
            "form": form,
            "closed": closed,
            "existing": existing,
            "summary": summary,
            "sessions": sessions,
        },
    )


def _add_errors(form, error: ValidationError, event) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = FIELD_FOR.get(field, field)
        for item in errors:
            message = _message(item)
            if item.code == "duplicate" and form.is_guest:
                domain.guest_manage_link_resend(
                    event=event, guest_email=form.cleaned_data.get("guest_email", "")
                )
                message += " We have emailed the link to see or cancel it to that address again."
            elif item.code == "duplicate":
                message += " You can see it under My events."
            form.add_error(field if field in form.fields else None, message)


def registration_done(request, pk):
    """The page after booking: what happens next. Only in the browser that booked, or for the
    signed-in person whose registration it is."""
    registration = get_object_or_404(
        domain.with_queue_position(
            Registration.objects.select_related("event", "event__organisation", "session")
        ),
        pk=pk,
    )
    own = request.user.is_authenticated and registration.user_id == request.user.pk
    if not own and str(registration.pk) not in request.session.get(SESSION_KEY, []):
        raise Http404
    return render(
        request,
        "events/registration/done.html",
        {"registration": registration, "event": registration.event},
    )


@login_required
def mine(request):
    now = timezone.now()
    base = domain.with_queue_position(
        Registration.objects.filter(user=request.user).select_related(
            "event", "event__organisation", "session"
        )
    )
    upcoming = base.filter(event__ends_at__gt=now, status__in=ACTIVE_STATUSES).order_by(
        "event__starts_at", "created_at"
    )
    past = base.filter(
        event__ends_at__lte=now,
        status__in=[Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW],
    ).order_by("-event__starts_at")[:50]
    return render(
        request,
        "events/registration/mine.html",
        {"upcoming": list(upcoming), "past": list(past)},
    )


# --- One-click actions for signed-in people ------------------------------------------------------


def _own_registration_action(request, pk, perform, success: str):
    registration = _registration(pk)
    refusal = refuse_unless(request, "events.manage_registration", registration)
    if refusal is not None:
        return refusal
    try:
        perform(registration)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, success.format(title=registration.event.title))
    return redirect(safe_next(request, reverse("events:mine")))


@require_POST
def cancel(request, pk):
    """Cancel my place (or leave the waiting list, or withdraw a request) in one click."""
    return _own_registration_action(
        request,
        pk,
        lambda r: domain.registration_cancel(registration=r, actor=request.user),
        "You have cancelled your place at {title}. Thank you for letting us know.",
    )


@require_POST
def accept(request, pk):
    return _own_registration_action(
        request,
        pk,
        lambda r: domain.offer_accept(registration=r, actor=request.user),
        "The place at {title} is yours. We have emailed you the details.",
    )


@require_POST
def decline_offer(request, pk):
    return _own_registration_action(
        request,
        pk,
        lambda r: domain.offer_decline(registration=r, actor=request.user),
        "You have turned down the place at {title}. It will be offered to the next person.",
    )


# --- Facilitators: approve or decline a request ---------------------------------------------------


def _facilitator_action(request, pk, perform, success: str):
    registration = _registration(pk)
    refusal = refuse_unless(request, "events.change_event", registration.event)
    if refusal is not None:
        return refusal
    try:
        perform(registration)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, success)
    return redirect(safe_next(request, registration.event.get_absolute_url()))


@require_POST
def approve(request, pk):
    return _facilitator_action(
        request,
        pk,
        lambda r: domain.registration_approve(registration=r, actor=request.user),
        "Request approved. We have emailed the person.",
    )


@require_POST
def decline(request, pk):
    return _facilitator_action(
        request,
        pk,
        lambda r: domain.registration_decline(registration=r, actor=request.user),
        "Request declined. We have emailed the person.",
    )


# --- Links from emails -------------------------------------------------------------------------

LINK_ACTIONS = {
    # action: (page heading, button, what a POST does)
    "cant_come": "cant_come",
    "accept_offer": "accept",
    "decline_offer": "decline",
    "leave_waitlist": "leave",
}
MANAGE_ACTIONS = {"cancel", "leave", "accept", "decline"}


def _notice(request, heading: str, text: str, event=None, status=200):
    return render(
        request,
        "events/registration/notice.html",
        {"heading": heading, "text": text, "event": event},
        status=status,
    )


def _invalid_link(request):
    return _notice(
        request,
        "This link does not work",
        "The link may have been copied only in part, or it is too old. If you booked a place, "
        "the latest email we sent you has a link that works. If you need help, contact the "
        "organisers of the event.",
        status=404,
    )


def _blocked(registration, action: str, offered_at) -> str | None:
    """Why this link's action cannot happen now, in words; None when it can."""
    status = registration.status
    if action == "manage":
        return None
    if action == "cant_come":
        if status == Status.CANCELLED:
            return "You have already given up this place. Thank you for letting us know."
        if status not in domain.CANCELLABLE:
            return "This event has already happened."
        return None
    if action in ("accept_offer", "decline_offer"):
        try:
            domain.offer_check(registration, offered_at, timezone.now())
        except ValidationError as error:
            return _message(error)
        return None
    if action == "leave_waitlist":
        if status == Status.CANCELLED:
            return "You have already left the waiting list for this event."
        if status not in domain.QUEUED:
            return "You are not on the waiting list for this event any more."
    return None


def _perform(registration, operation: str, offered_at):
    if operation == "cancel":
        if registration.status == Status.CANCELLED:
            raise ValidationError("This place has already been cancelled.", code="used")
        done = (
            "Your place is cancelled. Thank you for letting us know: it can now go to someone "
            "on the waiting list."
            if registration.holds_place
            else "You are no longer on the list for this event."
        )
        return domain.registration_cancel(registration=registration), done
    if operation == "cant_come":
        return domain.registration_cant_come(registration=registration), (
            "Your place is cancelled. Thank you for letting us know: it can now go to someone "
            "on the waiting list."
        )
    if operation == "leave":
        return domain.waitlist_leave(registration=registration), (
            "You have left the waiting list. You are welcome to join again from the event page."
        )
    if operation == "accept":
        return domain.offer_accept(registration=registration, offered_at_token=offered_at), (
            "The place is yours. We have emailed you the details."
        )
    if operation == "decline":
        return domain.offer_decline(registration=registration, offered_at_token=offered_at), (
            "You have turned down the place. It will be offered to the next person. Thank you."
        )
    raise PermissionDenied


def registration_link(request, token):
    payload = tokens.read(token)
    if payload is None:
        return _invalid_link(request)
    registration = (
        domain.with_queue_position(
            Registration.objects.select_related("event", "event__organisation", "session", "user")
        )
        .filter(pk=payload["r"])
        .first()
    )
    if registration is None:
        return _invalid_link(request)
    action, offered_at = payload["a"], payload.get("o")
    event = registration.event

    if request.method == "POST":
        if action == "manage":
            operation = request.POST.get("action")
            if operation not in MANAGE_ACTIONS:
                return redirect("events:registration_link", token)
            offered_at = None  # the manage page acts on the offer it shows
        else:
            operation = LINK_ACTIONS[action]
            blocked = _blocked(registration, action, offered_at)
            if blocked:
                return _notice(request, "Nothing has changed", blocked, event)
        try:
            registration, done = _perform(registration, operation, offered_at)
        except ValidationError as error:
            return _notice(request, "Nothing has changed", _message(error), event)
        messages.success(request, done)
        return redirect("events:registration_link", tokens.make(registration, "manage"))

    if action == "manage":
        return render(
            request,
            "events/registration/manage.html",
            {"registration": registration, "event": event, "token": token},
        )
    blocked = _blocked(registration, action, offered_at)
    if blocked:
        return _notice(request, "Nothing to do", blocked, event)
    return render(
        request,
        "events/registration/link.html",
        {
            "registration": registration,
            "event": event,
            "action": action,
            "manage_token": tokens.make(registration, "manage"),
        },
    )
