"""Factories for events. Registrations should go through events.domain in tests of behaviour."""

from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Event, Registration, Session
from tests.factories.accounts import OrganisationFactory


def in_days(days: float, hour: int = 18):
    """A time `days` from now at `hour`:00 London time."""
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Event.Kind.WORKSHOP
    title = factory.Sequence(lambda n: f"Recovery workshop {n}")
    description = "A friendly workshop. Tea and biscuits provided."
    starts_at = factory.LazyFunction(lambda: in_days(7, 10))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(hours=2))
    status = Event.Status.PUBLISHED
    venue_name = "The Old Bell"
    venue_address = "1 Bell Street, Leeds"
    venue_postcode = "LS1 4AP"
    capacity = 10


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    room = factory.Sequence(lambda n: f"Room {n}")
    starts_at = factory.LazyAttribute(lambda s: s.event.starts_at)
    ends_at = factory.LazyAttribute(lambda s: s.event.ends_at)
    capacity = 5


class GuestRegistrationFactory(factory.django.DjangoModelFactory):
    """A raw row (no capacity check, no reminders): for setting the scene only."""

    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    guest_name = factory.Sequence(lambda n: f"Guest {n}")
    guest_email = factory.Sequence(lambda n: f"guest{n}@example.org")
    status = Registration.Status.CONFIRMED


# --- Social media surgeries (appended by the surgery helper) -------------------------------------


class SurgeryFactory(EventFactory):
    """A social media surgery a week away."""

    kind = Event.Kind.SURGERY
    title = factory.Sequence(lambda n: f"Social media surgery {n}")
    description = "Drop in for help with Facebook, email, online forms and more."


class SurgeonFactory(factory.django.DjangoModelFactory):
    """A raw helper row; behaviour tests volunteer through events.surgery."""

    class Meta:
        model = "events.Surgeon"

    event = factory.SubFactory(SurgeryFactory)
    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    skills = factory.LazyFunction(lambda: ["facebook"])


# --- People with places (appended by the event pages helper) ------------------------------------


class UserRegistrationFactory(factory.django.DjangoModelFactory):
    """A raw registration of a signed-in person (no capacity check): for setting the scene."""

    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    status = Registration.Status.CONFIRMED
