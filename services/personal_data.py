"""The directory's part of "download my data" and "delete my account"."""

from services.models import ChangeRequest, ProblemReport, Service, Shortlist, ShortlistItem


def export(user) -> dict:
    """My shortlists with their items and notes, the problem reports I made, the changes I
    proposed (and their outcome) and the services I last marked as checked."""
    lists = Shortlist.objects.filter(owner=user).order_by("created_at")
    items = ShortlistItem.objects.filter(shortlist__owner=user).select_related("service")
    by_list: dict = {}
    for item in items:
        by_list.setdefault(item.shortlist_id, []).append(
            {
                "service": item.service.name,
                "service_id": str(item.service_id),
                "note": item.note,
                "added_at": item.added_at.isoformat(),
            }
        )
    reports = ProblemReport.objects.filter(reported_by=user).select_related("service")
    return {
        "shortlists": [
            {
                "id": str(s.pk),
                "name": s.name,
                "note": s.note,
                "created_at": s.created_at.isoformat(),
                "items": by_list.get(s.pk, []),
            }
            for s in lists
        ],
        "problem_reports": [
            {
                "service": r.service.name,
                "service_id": str(r.service_id),
                "reason": r.get_reason_display(),
                "details": r.details,
                "reported_at": r.created_at.isoformat(),
            }
            for r in reports.order_by("created_at")
        ],
        "changes_proposed": [
            {
                "id": str(c.pk),
                "organisation": c.organisation.name,
                "service": c.proposed.get("fields", {}).get("name", ""),
                "service_id": str(c.service_id) if c.service_id else None,
                "status": c.get_status_display(),
                "submitted_at": c.submitted_at.isoformat(),
                "decided_at": c.decided_at.isoformat() if c.decided_at else None,
                "reason": c.reason,
            }
            for c in ChangeRequest.objects.filter(submitted_by=user)
            .select_related("organisation")
            .order_by("submitted_at", "pk")
        ],
        "services_checked": [
            {"service": name, "service_id": str(pk), "checked_at": checked.isoformat()}
            for pk, name, checked in Service.objects.filter(assured_by=user)
            .order_by("assured_at", "pk")
            .values_list("pk", "name", "assured_at")
        ],
    }


def erase(user) -> None:
    """Shortlists go with the account. Problem reports, proposed changes and checks stay, no
    longer linked to the person (reported_by, submitted_by, decided_by and assured_by are
    SET_NULL): they are about a service, and its editors may still need them."""
    Shortlist.objects.filter(owner=user).delete()
