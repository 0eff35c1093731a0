"""Turning a permission check into a response: MFA set-up for the powerful, 403 for the rest."""

import rules
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.rules import POWERS


def refuse_unless(request, perm: str, obj=None):
    """Return None when allowed, or the response that refuses.

    Someone who holds the role behind a power but has not set up two-step verification is
    sent to set it up, with a way back; anyone else gets a 403.
    """
    user = request.user
    if rules.has_perm(perm, user, obj):
        return None
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    role = POWERS.get(perm)
    if role is not None and role.test(user, obj):
        messages.warning(
            request,
            "Set up two-step verification to use these powers. It protects the people whose "
            "information you can see.",
        )
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
    raise PermissionDenied


def safe_next(request, default: str) -> str:
    """The `next` parameter when it is a path on this site, else `default`: no open redirect,
    and nothing `redirect()` would try to reverse as a view name ("nan" would be a 500)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
