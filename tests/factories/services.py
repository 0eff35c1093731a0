"""Factories for the directory. `make_service` goes through the real write path (domain)."""

import factory
from django.utils import timezone

from services import domain
from services.models import Location, Schedule, Service, ServiceAtLocation, TaxonomyTerm
from tests.factories.accounts import OrganisationFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    """A bare service (no locations). Search vectors are refreshed after creation."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Test service {n}")
    summary = "Support for people in recovery."
    description = "A friendly group that meets every week."
    assured_at = factory.LazyFunction(timezone.now)
    referral_routes = factory.LazyFunction(lambda: [Service.Referrer.SELF])

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.taxonomy_terms.set(TaxonomyTerm.objects.filter(code__in=extracted))
        if create:
            domain.refresh_search([self.pk])


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Community hall {n}")
    address_1 = factory.Sequence(lambda n: f"{n} High Street")
    city = "Leeds"
    postcode = "LS1 4AP"
    latitude = 53.7966
    longitude = -1.5479


def place(service, location=None, *, hours=(), **location_fields) -> ServiceAtLocation:
    """Put a service at a location; `hours` are (weekday, "09:00", "17:00") tuples."""
    location = location or LocationFactory(organisation=service.organisation, **location_fields)
    sal = ServiceAtLocation.objects.create(service=service, location=location)
    for weekday, opens, closes in hours:
        Schedule.objects.create(
            service_at_location=sal, weekday=weekday, opens_at=opens, closes_at=closes
        )
    return sal


def snapshot(**fields) -> dict:
    """A minimal valid snapshot for domain.service_save; override any field."""
    base = {
        "name": "Northfield Hearing Voices Group",
        "summary": "A peer-led group for people who hear voices.",
        "description": "We meet weekly to share ways of living with voices.",
        "referral_routes": [Service.Referrer.SELF],
    }
    base.update(fields)
    return {"id": None, "fields": base, "taxonomy_terms": [], "locations": [], "contacts": []}


def make_service(organisation=None, actor=None, **fields) -> Service:
    organisation = organisation or OrganisationFactory()
    return domain.service_save(organisation=organisation, snapshot=snapshot(**fields), actor=actor)
