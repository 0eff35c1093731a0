"""Pages for "my account", organisations and memberships: parse, call the domain, render."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import domain, personal_data, queries
from accounts.access import refuse_unless
from accounts.forms import (
    DeleteAccountForm,
    InvitationForm,
    JoinRequestForm,
    OrganisationForm,
    ProfileForm,
    RoleForm,
)
from accounts.models import JoinRequest, Membership, Organisation, Role


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- My account --------------------------------------------------------------------------------


@login_required
def account_home(request):
    profile = domain.profile_for(user=request.user)
    form = ProfileForm(
        request.POST if request.method == "POST" else None, instance=profile, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        domain.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:home")
    return render(
        request,
        "accounts/home.html",
        {
            "form": form,
            "memberships": queries.user_memberships(user=request.user),
            "join_requests": queries.user_join_requests(user=request.user),
        },
    )


@login_required
def account_export(request):
    if request.method == "POST":
        data = domain.user_export(user=request.user)
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = 'attachment; filename="joined-up-my-data.json"'
        return response
    return render(request, "accounts/export.html")


@login_required
def account_delete(request):
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    # Apps may ask something first ("withdraw my stories, or keep them anonymised?").
    questions = personal_data.deletion_questions(request.user)
    for name, question in questions:
        form.fields[name] = question
    form.order_fields([name for name, _question in questions])
    if request.method == "POST" and form.is_valid():
        answers = {name: form.cleaned_data[name] for name, _question in questions}
        try:
            domain.user_delete(user=request.user, answers=answers)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            logout(request)
            messages.success(request, "Your account has been deleted.")
            return redirect("portal:home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "questions": [form[name] for name, _question in questions]},
    )


@login_required
@require_POST
def membership_leave(request, pk):
    membership = get_object_or_404(Membership, pk=pk, user=request.user)
    try:
        domain.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"You have left {membership.organisation.name}.")
    return redirect("accounts:home")


def invitation(request, token):
    invitation = domain.invitation_by_token(token)
    if not request.user.is_authenticated:
        messages.info(request, "Sign in, or create an account, to accept your invitation.")
        return redirect(f"{reverse('account_login')}?next={request.path}")
    if request.method == "POST":
        try:
            membership = domain.invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                f"You have joined {membership.organisation.name} as "
                f"{membership.get_role_display().lower()}.",
            )
            return redirect("accounts:home")
    if invitation is None:
        state = "invalid"
    elif invitation.accepted_at is not None:
        state = "used"
    elif invitation.expires_at <= timezone.now():
        state = "expired"
    else:
        state = "open"
    return render(request, "accounts/invitation.html", {"invitation": invitation, "state": state})


# --- Organisations -----------------------------------------------------------------------------


def organisation_list(request):
    filterset, organisations = queries.organisations_list(filters=request.GET)
    return render(
        request,
        "organisations/list.html",
        {"filter": filterset, "organisations": organisations},
    )


def organisation_detail(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    pending = queries.user_has_pending_request(user=request.user, organisation=organisation)
    return render(
        request,
        "organisations/detail.html",
        {"organisation": organisation, "join_form": JoinRequestForm(), "pending": pending},
    )


@login_required
def organisation_register(request):
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = domain.organisation_register(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{organisation.name} is registered. A platform admin will verify it; until then "
                "it is marked as not yet verified.",
            )
            return redirect(organisation)
    return render(request, "organisations/register.html", {"form": form})


@login_required
@require_POST
def organisation_join(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    form = JoinRequestForm(request.POST)
    if form.is_valid():
        try:
            domain.join_request_create(
                user=request.user, organisation=organisation, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                f"You have asked to join {organisation.name}. Its admins have been told; you will "
                "get an email when they decide.",
            )
            return redirect(organisation)
    return render(
        request,
        "organisations/detail.html",
        {"organisation": organisation, "join_form": form, "pending": False},
    )


def organisation_members(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "accounts.manage_members", organisation):
        return refusal
    invite_form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            domain.invitation_create(
                organisation=organisation, by=request.user, **invite_form.cleaned_data
            )
        except ValidationError as error:
            invite_form.add_error("email", error)
        else:
            messages.success(
                request,
                f"An invitation has been sent to {invite_form.cleaned_data['email']}. "
                "The link works once and expires in 7 days.",
            )
            return redirect("organisations:members", slug=slug)
    return render(
        request,
        "organisations/members.html",
        {
            "organisation": organisation,
            "members": queries.organisation_members(organisation=organisation),
            "requests": queries.organisation_pending_requests(organisation=organisation),
            "invite_form": invite_form,
            "roles": Role.choices,
        },
    )


@require_POST
def join_request_decide(request, slug, pk, decision):
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "accounts.manage_members", organisation):
        return refusal
    join_request = get_object_or_404(JoinRequest, pk=pk, organisation=organisation)
    name = join_request.user.profile.display_name or join_request.user.email
    try:
        if decision == "approve":
            domain.join_request_approve(join_request=join_request, by=request.user)
            messages.success(request, f"{name} is now a member of {organisation.name}.")
        else:
            domain.join_request_decline(join_request=join_request, by=request.user)
            messages.success(request, f"You declined the request from {name}.")
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("organisations:members", slug=slug)


@require_POST
def membership_role(request, slug, pk):
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "accounts.manage_members", organisation):
        return refusal
    membership = get_object_or_404(Membership, pk=pk, organisation=organisation)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
        return redirect("organisations:members", slug=slug)
    try:
        domain.membership_change_role(
            membership=membership, role=form.cleaned_data["role"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "The role has been changed.")
    return redirect("organisations:members", slug=slug)


@require_POST
def membership_remove(request, slug, pk):
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "accounts.manage_members", organisation):
        return refusal
    membership = get_object_or_404(Membership, pk=pk, organisation=organisation)
    try:
        domain.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "The member has been removed.")
    return redirect("organisations:members", slug=slug)


@require_POST
def organisation_verify(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    if refusal := refuse_unless(request, "accounts.verify_organisation", organisation):
        return refusal
    try:
        domain.organisation_verify(organisation=organisation, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{organisation.name} is now verified.")
    return redirect(organisation)
