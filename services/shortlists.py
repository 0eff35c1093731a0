"""Shortlists: a staff member's own lists of services for a client. Reads and writes.

Only the owner sees or changes a list; every function here takes the owner and refuses anyone
else. Emailing a list to a client sends it straight away from the request: the client's address
is used in memory only, never written to the database, the audit log, the cache or the task
queue.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.template.loader import render_to_string

from accounts.domain import audit_record
from services.models import Service, ServiceAtLocation, Shortlist, ShortlistItem
from services.presentation import client_summary

# A staff member may email at most this many lists an hour (a brake on misuse, not a quota).
EMAILS_PER_HOUR = 20


def _require_owner(shortlist: Shortlist, user) -> None:
    if not user.is_authenticated or shortlist.owner_id != user.pk:
        raise PermissionDenied("Not your shortlist.")


# --- Reads --------------------------------------------------------------------------------------


def shortlists_for(user, *, containing: Service | None = None) -> QuerySet[Shortlist]:
    """The user's lists, newest first, with `item_count` (and `has_service` when asked)."""
    # Explicit order: Meta.ordering is not applied to a query with GROUP BY (the Count).
    qs = (
        Shortlist.objects.filter(owner=user)
        .annotate(item_count=Count("items"))
        .order_by("-updated_at", "pk")
    )
    if containing is not None:
        qs = qs.annotate(
            has_service=Exists(
                ShortlistItem.objects.filter(shortlist=OuterRef("pk"), service=containing)
            )
        )
    return qs


def shortlist_of(user, pk) -> Shortlist | None:
    """The user's list with this id, or None (someone else's list does not exist for them)."""
    if not user.is_authenticated:
        return None
    return Shortlist.objects.filter(owner=user, pk=pk).first()


def shortlist_items(shortlist: Shortlist) -> list[ShortlistItem]:
    """Items with what the list, print view and email show, in a fixed number of queries."""
    sals = ServiceAtLocation.objects.select_related("location")
    return list(
        shortlist.items.select_related("service__organisation").prefetch_related(
            "service__phones", Prefetch("service__service_at_locations", queryset=sals)
        )
    )


# --- Writes -------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Enter a name for the shortlist."})
    if len(name) > 100:
        raise ValidationError({"name": "The name must be 100 characters or fewer."})
    return name


@transaction.atomic
def shortlist_create(*, owner, name: str, note: str = "") -> Shortlist:
    shortlist = Shortlist(owner=owner, name=_clean_name(name), note=(note or "").strip())
    shortlist.full_clean(exclude=["owner"])
    shortlist.save()
    return shortlist


@transaction.atomic
def shortlist_update(*, shortlist: Shortlist, by, name: str, note: str = "") -> Shortlist:
    _require_owner(shortlist, by)
    shortlist.name = _clean_name(name)
    shortlist.note = (note or "").strip()
    shortlist.full_clean(exclude=["owner"])
    shortlist.save(update_fields=["name", "note", "updated_at"])
    return shortlist


@transaction.atomic
def shortlist_delete(*, shortlist: Shortlist, by) -> None:
    _require_owner(shortlist, by)
    shortlist.delete()


@transaction.atomic
def shortlist_add(
    *, shortlist: Shortlist, service: Service, by, note: str = ""
) -> tuple[ShortlistItem, bool]:
    """Put a service on the list; returns (item, created). Adding it twice keeps one item."""
    _require_owner(shortlist, by)
    item, created = ShortlistItem.objects.get_or_create(
        shortlist=shortlist, service=service, defaults={"note": (note or "").strip()[:500]}
    )
    if created:
        shortlist.save(update_fields=["updated_at"])
    return item, created


@transaction.atomic
def shortlist_item_note(*, item: ShortlistItem, by, note: str) -> ShortlistItem:
    _require_owner(item.shortlist, by)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": "The note must be 500 characters or fewer."})
    item.note = note
    item.save(update_fields=["note"])
    item.shortlist.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def shortlist_item_remove(*, item: ShortlistItem, by) -> None:
    _require_owner(item.shortlist, by)
    shortlist = item.shortlist
    item.delete()
    shortlist.save(update_fields=["updated_at"])


def _email_budget_key(user) -> str:
    return f"services:shortlist-email:{user.pk}"


def shortlist_email(*, shortlist: Shortlist, by, to: str, message: str = "") -> int:
    """Email the list to a client. Returns the number of services sent.

    The list's name and the owner's notes stay out of the email: they are the owner's working
    notes. The address is used here and forgotten; the audit entry records only that a list of
    so many services was emailed. Sent directly (not through Celery) so that the address never
    sits in the broker; raises whatever the mail backend raises, and then nothing is recorded.
    """
    _require_owner(shortlist, by)
    key = _email_budget_key(by)
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > EMAILS_PER_HOUR:
        raise ValidationError(
            "You have emailed a lot of lists in the last hour. Try again later, or print the list."
        )
    items = shortlist_items(shortlist)
    if not items:
        raise ValidationError("Add at least one service to the list before emailing it.")
    body = render_to_string(
        "services/email/shortlist.txt",
        {
            "entries": [client_summary(item.service, settings.SITE_URL) for item in items],
            "message": (message or "").strip(),
        },
    )
    send_mail("Services from Joined Up", body, None, [to])
    audit_record(
        action="services.shortlist.emailed",
        actor=by,
        data={"shortlist": str(shortlist.pk), "services": len(items)},
    )
    return len(items)
