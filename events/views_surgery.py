"""Social media surgery pages: volunteering as a helper, and the facilitators' pairing board.

Thin: parse, check permission, call events.surgery, render. Every board action is a plain form
post that comes back to the board, so it works without JavaScript and on a phone.
"""

import rules
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless
from events import surgery
from events.forms_surgery import OutcomeForm, PairForm, VolunteerForm, WalkinForm
from events.models import Event, Pairing, Registration

FACILITATE = "events.change_event"


def _surgery_or_404(pk) -> Event:
    event = get_object_or_404(Event.objects.select_related("organisation"), pk=pk)
    if not event.is_surgery:
        raise Http404("Not a social media surgery.")
    return event


def event_page(event: Event) -> str:
    """The event's page, at the surgery panel (the volunteer page until the event page exists)."""
    try:
        return event.get_absolute_url() + "#surgery"
    except NoReverseMatch:
        return reverse("events:surgery_volunteer", args=[event.pk])


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Volunteering --------------------------------------------------------------------------------


def volunteer(request, pk):
    event = _surgery_or_404(pk)
    if not rules.has_perm("events.view_event", request.user, event):
        raise Http404("No such event.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    mine = surgery.surgeon_for(event=event, user=request.user)
    form = VolunteerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            surgery.surgeon_volunteer(
                event=event,
                user=request.user,
                skills=form.cleaned_data["skills"],
                other=form.cleaned_data["other"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "already_volunteered" or mine is not None:
                messages.info(request, _error_text(error))
                return redirect(event_page(event))
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Thank you for volunteering as a helper at {event.title}. The organisers will "
                "pair you with people on the day.",
            )
            return redirect(event_page(event))
    return render(
        request,
        "events/surgery/volunteer.html",
        {
            "event": event,
            "form": form,
            "mine": mine,
            "mine_skills": [surgery.skill_label(t) for t in mine.skills] if mine else [],
            "open": surgery.can_volunteer(event),
            "event_url": event_page(event),
        },
    )


@require_POST
def withdraw(request, pk):
    event = _surgery_or_404(pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("events:surgery_volunteer", args=[event.pk]))
    mine = surgery.surgeon_for(event=event, user=request.user)
    if mine is None:
        messages.info(request, "You are not down as a helper at this surgery.")
        return redirect(event_page(event))
    try:
        surgery.surgeon_withdraw(surgeon=mine, actor=request.user)
    except ValidationError as error:
        messages.info(request, _error_text(error))
    else:
        messages.success(request, "You are no longer down as a helper. Thank you for offering.")
    return redirect(event_page(event))


# --- The pairing board ---------------------------------------------------------------------------


def _board_response(request, event: Event, *, failed=None, walkin_form=None, status=200):
    """Render the board; `failed` is a bound form with errors to show in place of its blank one."""
    board = surgery.pairing_board(event)
    free = [(h.surgeon, h.name) for h in board.free_helpers]
    for row in board.waiting:
        if isinstance(failed, PairForm) and failed.registration.pk == row.registration.pk:
            failed.set_helpers(free)
            row.form = failed
        else:
            initial = {"surgeon": str(row.suggestion.surgeon.pk)} if row.suggestion else {}
            row.form = PairForm(
                registration=row.registration, helpers=free, name=row.name, initial=initial
            )
    for pairing in board.open_pairings:
        if isinstance(failed, OutcomeForm) and failed.pairing.pk == pairing.pk:
            pairing.form = failed
        else:
            pairing.form = OutcomeForm(pairing=pairing, name=pairing.person_name)
    walkin_form = walkin_form or WalkinForm()
    return render(
        request,
        "events/surgery/board.html",
        {
            "event": event,
            "board": board,
            "walkin_form": walkin_form,
            "failed": failed if failed is not None else walkin_form,
            "event_url": event_page(event),
        },
        status=status,
    )


def board(request, pk):
    event = _surgery_or_404(pk)
    if refusal := refuse_unless(request, FACILITATE, event):
        return refusal
    return _board_response(request, event)


@require_POST
def pair(request, pk, registration_pk):
    event = _surgery_or_404(pk)
    if refusal := refuse_unless(request, FACILITATE, event):
        return refusal
    registration = get_object_or_404(
        Registration.objects.select_related("user__profile"), pk=registration_pk, event=event
    )
    helpers = [(s, surgery.helper_name(s)) for s in event.surgeons.select_related("user__profile")]
    name = surgery.person_name(registration)
    form = PairForm(request.POST, registration=registration, helpers=helpers, name=name)
    if form.is_valid():
        surgeon = next(s for s, _ in helpers if str(s.pk) == form.cleaned_data["surgeon"])
        try:
            surgery.pairing_create(
                event=event, registration=registration, surgeon=surgeon, actor=request.user
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "person_busy":
                messages.info(request, f"{name} is already with a helper.")
                return redirect("events:pairing_board", event.pk)
            form.add_error(
                "surgeon" if getattr(error, "code", None) == "surgeon_busy" else None, error
            )
        else:
            messages.success(request, f"{name} is paired with {surgery.helper_name(surgeon)}.")
            return redirect("events:pairing_board", event.pk)
    return _board_response(request, event, failed=form)


@require_POST
def outcome(request, pk, pairing_pk):
    event = _surgery_or_404(pk)
    if refusal := refuse_unless(request, FACILITATE, event):
        return refusal
    pairing = get_object_or_404(
        Pairing.objects.select_related("registration__user__profile", "surgeon__user__profile"),
        pk=pairing_pk,
        event=event,
    )
    name = surgery.person_name(pairing.registration)
    form = OutcomeForm(request.POST, pairing=pairing, name=name)
    if form.is_valid():
        try:
            surgery.pairing_outcome(
                pairing=pairing, outcome=form.cleaned_data["outcome"], actor=request.user
            )
        except ValidationError as error:
            messages.info(request, _error_text(error))
        else:
            messages.success(
                request,
                f"Outcome recorded. {surgery.helper_name(pairing.surgeon)} is free for the next "
                "person.",
            )
        return redirect("events:pairing_board", event.pk)
    return _board_response(request, event, failed=form)


@require_POST
def walkin(request, pk):
    event = _surgery_or_404(pk)
    if refusal := refuse_unless(request, FACILITATE, event):
        return refusal
    form = WalkinForm(request.POST)
    if form.is_valid():
        try:
            registration = surgery.walkin_add(
                event=event,
                first_name=form.cleaned_data["first_name"],
                help_with=form.cleaned_data["help_with"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{registration.guest_name} is on the board as a walk-in.")
            return redirect("events:pairing_board", event.pk)
    return _board_response(request, event, walkin_form=form)
