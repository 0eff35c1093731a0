"""The directory's filters, declared once (django-filter) for the search page and both APIs.

The staff page shows the first group; the Open Referral UK parameters (`taxonomy_term_id`,
`minimum_age`, `day`...) are the second group. Free text, postcode distance and sort are not
filters: `queries.services_search` does those.
"""

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organisation, Sector
from services.models import Location, Schedule, Service, ServiceArea, TaxonomyTerm
from services.queries import organisations_named

DAYS = [(str(v), label) for v, label in Schedule.Day.choices]
ORUK_DAYS = {code: i for i, code in enumerate(Schedule.BYDAY)}


def _top_level_terms():
    return TaxonomyTerm.objects.filter(parent__isnull=True).order_by("name")


def terms_with_children(terms) -> list:
    ids = [t.pk for t in terms]
    return ids + list(TaxonomyTerm.objects.filter(parent_id__in=ids).values_list("pk", flat=True))


class OrganisationNameField(forms.CharField):
    """An organisation's name, or part of it (or, from an older link, its slug): cleans to the
    organisations meant (`queries.OrganisationsNamed`), or says none is called that. A text box,
    not a list of every organisation: quick to fill in, and quick to draw."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        named = organisations_named(text)
        if named is None:
            raise forms.ValidationError(
                "We could not find an organisation called “%(text)s”. Check the spelling, or "
                "leave this empty.",
                code="no_such_organisation",
                params={"text": text},
            )
        return named


@extend_schema_field(
    {"type": "string", "description": "An organisation's name, part of it, or its slug."}
)
class OrganisationFilter(filters.Filter):
    field_class = OrganisationNameField

    def filter(self, qs, value):
        return qs.filter(organisation_id__in=value.ids) if value else qs


class ServiceFilter(filters.FilterSet):
    # --- The staff search page -----------------------------------------------------------------
    category = filters.ModelMultipleChoiceFilter(
        queryset=TaxonomyTerm.objects.all(),
        to_field_name="code",
        method="filter_category",
        label="Category",
        widget=forms.CheckboxSelectMultiple,
    )
    organisation = OrganisationFilter(
        label="Organisation",
        help_text="All or part of its name, like “Mind”.",
    )
    sector = filters.ChoiceFilter(
        field_name="organisation__sector",
        choices=Sector.choices,
        empty_label="Any sector",
        method="filter_sector",
    )
    area = filters.CharFilter(
        method="filter_area",
        label="Area covered",
        help_text="A postcode district, like LS6, or a council area, like Leeds.",
    )
    referral = filters.MultipleChoiceFilter(
        choices=Service.Referrer.choices,
        method="filter_referral",
        label="Who can refer",
        widget=forms.CheckboxSelectMultiple,
    )
    free = filters.BooleanFilter(
        field_name="is_free",
        label="Free services only",
        widget=forms.CheckboxInput,
        method="filter_free",
    )
    language = filters.CharFilter(method="filter_language", label="Language")
    accessibility = filters.MultipleChoiceFilter(
        choices=Location.Accessibility.choices,
        method="filter_accessibility",
        label="Accessibility",
        widget=forms.CheckboxSelectMultiple,
    )
    open_on = filters.ChoiceFilter(
        choices=DAYS, method="filter_open_on", label="Open on", empty_label="Any day"
    )

    # --- Open Referral UK / HSDS query parameters ----------------------------------------------
    taxonomy_term_id = filters.UUIDFilter(method="filter_taxonomy_term_id")
    taxonomy_id = filters.UUIDFilter(method="filter_taxonomy_id")
    organization_id = filters.UUIDFilter(method="filter_organization_id")
    minimum_age = filters.NumberFilter(field_name="minimum_age", lookup_expr="gte", min_value=0)
    maximum_age = filters.NumberFilter(field_name="maximum_age", lookup_expr="lte", min_value=0)
    modified_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    day = filters.ChoiceFilter(
        choices=[(c, c) for c in Schedule.BYDAY], method="filter_day", null_label=None
    )
    start_time = filters.TimeFilter(method="filter_noop")
    end_time = filters.TimeFilter(method="filter_noop")

    class Meta:
        model = Service
        fields: list[str] = []

    # --- Methods --------------------------------------------------------------------------------
    def filter_noop(self, queryset, name, value):
        return queryset  # start_time / end_time apply together with `day`, in filter_day

    def filter_category(self, queryset, name, terms):
        if not terms:
            return queryset
        ids = terms_with_children(terms)
        through = Service.taxonomy_terms.through.objects.filter(
            service_id=OuterRef("pk"), taxonomyterm_id__in=ids
        )
        return queryset.filter(Exists(through))

    def filter_taxonomy_term_id(self, queryset, name, value):
        through = Service.taxonomy_terms.through.objects.filter(
            service_id=OuterRef("pk"), taxonomyterm_id=value
        )
        return queryset.filter(Exists(through))

    def filter_taxonomy_id(self, queryset, name, value):
        through = Service.taxonomy_terms.through.objects.filter(
            service_id=OuterRef("pk"), taxonomyterm__taxonomy_id=value
        )
        return queryset.filter(Exists(through))

    def filter_organization_id(self, queryset, name, value):
        return queryset.filter(organisation__uuid=value)

    def filter_sector(self, queryset, name, value):
        if not value:
            return queryset
        # The sector's organisations as a list of ids, not a join: joined, the planner may run a
        # word search over again for each organisation of the sector; and it plans better for a
        # list it can see than for a subquery's.
        of_sector = Organisation.objects.filter(sector=value).values_list("pk", flat=True)
        return queryset.filter(organisation_id__in=list(of_sector))

    def filter_area(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        areas = ServiceArea.objects.filter(service_id=OuterRef("pk")).filter(
            Q(kind=ServiceArea.Kind.POSTCODE_DISTRICT, value=value.upper().replace(" ", ""))
            | Q(kind=ServiceArea.Kind.LOCAL_AUTHORITY, value__iexact=value)
        )
        return queryset.filter(Exists(areas))

    def filter_referral(self, queryset, name, routes):
        return queryset.filter(referral_routes__overlap=list(routes)) if routes else queryset

    def filter_free(self, queryset, name, value):
        return queryset.filter(is_free=True) if value else queryset

    def filter_language(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(languages__contains=[value.title()]) if value else queryset

    def filter_accessibility(self, queryset, name, features):
        if not features:
            return queryset
        located = Location.objects.filter(
            service_at_locations__service_id=OuterRef("pk"), accessibility__contains=list(features)
        )
        return queryset.filter(Exists(located))

    def filter_open_on(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        open_days = Schedule.objects.filter(
            service_at_location__service_id=OuterRef("pk"), weekday=int(value)
        )
        return queryset.filter(Exists(open_days))

    def filter_day(self, queryset, name, value):
        if not value:
            return queryset
        schedules = Schedule.objects.filter(
            service_at_location__service_id=OuterRef("pk"), weekday=ORUK_DAYS[value]
        )
        start, end = (
            self.form.cleaned_data.get("start_time"),
            self.form.cleaned_data.get("end_time"),
        )
        if start:
            schedules = schedules.filter(opens_at__lte=start)
        if end:
            schedules = schedules.filter(closes_at__gte=end)
        return queryset.filter(Exists(schedules))
