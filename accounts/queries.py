"""Reads about people and organisations that are more than a one-line lookup."""

import django_filters
from django.db.models import Count, Q, QuerySet

from accounts.models import AuditEntry, JoinRequest, Membership, Organisation, Sector


class OrganisationFilter(django_filters.FilterSet):
    sector = django_filters.ChoiceFilter(choices=Sector.choices, empty_label="All sectors")

    class Meta:
        model = Organisation
        fields = ["sector"]


def organisations_list(*, filters: dict) -> tuple[OrganisationFilter, QuerySet[Organisation]]:
    """Organisations for the public list, with a member count, filtered by sector."""
    filterset = OrganisationFilter(
        filters, queryset=Organisation.objects.annotate(member_count=Count("memberships"))
    )
    return filterset, filterset.qs.order_by("name")


def organisation_members(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user__profile")
        .order_by("user__email")
    )


def organisation_pending_requests(*, organisation: Organisation) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(
        organisation=organisation, status=JoinRequest.Status.PENDING
    ).select_related("user__profile")


def user_has_pending_request(*, user, organisation: Organisation) -> bool:
    return (
        user.is_authenticated
        and JoinRequest.objects.filter(
            user=user, organisation=organisation, status=JoinRequest.Status.PENDING
        ).exists()
    )


def user_memberships(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def user_join_requests(*, user) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(user=user)
        .filter(Q(status=JoinRequest.Status.PENDING) | Q(status=JoinRequest.Status.DECLINED))
        .select_related("organisation")
    )


def organisations_awaiting_verification() -> QuerySet[Organisation]:
    return Organisation.objects.filter(verified_at__isnull=True).order_by("created_at")


def audit_recent(*, limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor", "organisation")[:limit]
