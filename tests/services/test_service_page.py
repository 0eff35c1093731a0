"""A service's page, /services/<uuid>/, and "report a problem"."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry, Role
from services.models import (
    Phone,
    ProblemReport,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
)
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.services import (
    REFUGE_SECRETS,
    location_data,
    make_full_service,
    make_hub_service,
)
from tests.services.html import error_text, text

pytestmark = pytest.mark.django_db


def page(client, service, status=200):
    response = client.get(f"/services/{service.pk}/")
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def full_service():
    org = OrganisationFactory(name="Eastbrook Mind", phone="0113 000 0000")
    return make_full_service(
        org,
        name="Eastbrook Debt Advice",
        summary="Free, confidential help with debts.",
        description="We help with arrears.\n\nAppointments last an hour.",
        url="https://eastbrook.example/debt",
        email="debt@eastbrook.example",
        is_free=False,
        fees_description="£5 a session, waived on benefits.",
        minimum_age=18,
        maximum_age=65,
        languages=["English", "Urdu"],
        interpretation_services="Telephone interpreters on request.",
        attending_modes=["in_person", "phone"],
        alert="Closed on bank holidays.",
        referral_routes=["self", "named_teams"],
        referral_named_teams="Community mental health teams",
        referral_form_url="https://eastbrook.example/refer",
        referral_email="referrals@eastbrook.example",
        referral_phone="0113 496 0000",
        referral_information="Name, date of birth and a summary of the debts.",
        eligibility="Adults living in Leeds.",
        exclusions="People with an open bankruptcy.",
        accepting_referrals="yes",
        typical_wait="about 3 weeks",
        categories=["debt-advice"],
        areas=[("postcode_district", "LS9"), ("local_authority", "Leeds")],
        contacts=[
            {
                "name": "Asha Patel",
                "title": "Debt adviser",
                "email": "asha@eastbrook.example",
                "phone": "0113 496 0001",
            }
        ],
        phones=[{"number": "0113 496 0002", "type": "voice", "description": "Main office"}],
        locations=[
            location_data(
                name="Eastbrook Hub",
                address_1="1 Market Street",
                postcode="LS9 7TF",
                latitude=53.80695,
                longitude=-1.52026,
                accessibility=["step_free", "hearing_loop"],
                accessibility_notes="Ramp at the side door.",
                transport="Buses 4 and 5 stop outside.",
                schedules=[
                    {"weekday": 0, "opens_at": "09:00", "closes_at": "17:00", "notes": ""},
                    {
                        "weekday": 3,
                        "opens_at": "18:00",
                        "closes_at": "20:00",
                        "notes": "Evening drop-in",
                    },
                ],
            )
        ],
    )


def test_the_page_shows_every_section(client, full_service):
    html = page(client, full_service)
    words = text(html)

    for expected in [
        "Eastbrook Mind",  # caption
        "Eastbrook Debt Advice",
        "Important Closed on bank holidays.",
        "Free, confidential help with debts.",
        "We help with arrears.",
        "Appointments last an hour.",
        # How to refer
        "Who can refer Self-referral Named teams only: Community mental health teams",
        "Online form: https://eastbrook.example/refer",
        "Email: referrals@eastbrook.example",
        "Phone: 0113 496 0000",
        "Information needed Name, date of birth and a summary of the debts.",
        "Who it is for Adults living in Leeds.",
        "Who it is not for People with an open bankruptcy.",
        f"Accepting referrals now Accepting referrals (as of {timezone.localdate():%-d %B %Y})",
        f"Typical wait about 3 weeks (as of {timezone.localdate():%-d %B %Y})",
        # Costs, ages, languages
        "Cost There may be a charge £5 a session, waived on benefits.",
        "Ages 18 to 65",
        "Languages English, Urdu",
        "Interpreting Telephone interpreters on request.",
        "How people take part In person, By phone",
        # Where and when
        "Eastbrook Hub",
        "1 Market Street",
        "LS9 7TF",
        "Step-free access",
        "Hearing loop",
        "Ramp at the side door.",
        "Getting there: Buses 4 and 5 stop outside.",
        "Monday 09:00 to 17:00",
        "Thursday 18:00 to 20:00 Evening drop-in",
        # Contact
        "Website https://eastbrook.example/debt",
        "Email debt@eastbrook.example",
        "Main office 0113 496 0002",
        "Asha Patel Debt adviser asha@eastbrook.example 0113 496 0001",
        # Areas and categories
        "Areas covered LS9, Leeds",
        "Money and benefits advice: Debt advice",
        f"Checked by Eastbrook Mind on {timezone.localdate():%-d %B %Y}",
        "Report a problem with this information",
    ]:
        assert expected in words, expected
    assert (
        'href="https://www.openstreetmap.org/?mlat=53.80695&amp;mlon=-1.52026'
        '#map=17/53.80695/-1.52026"' in html
    )
    assert "<iframe" not in html  # a plain link, no embedded map
    assert "This information may be out of date" not in words


def test_open_now_tag_follows_the_opening_hours(client):
    today = timezone.localtime().weekday()
    service = make_full_service(
        name="Drop-in",
        locations=[
            location_data(
                schedules=[{"weekday": (today + 1) % 7, "opens_at": "00:00", "closes_at": "23:59"}]
            )
        ],
    )
    assert "Open now" not in text(page(client, service))

    Schedule.objects.create(
        service_at_location=ServiceAtLocation.objects.get(service=service),
        weekday=today,
        opens_at=time(0, 0),
        closes_at=time(23, 59, 59),
    )
    assert "Where and when Open now" in text(page(client, service))


def test_checked_by_names_the_organisation_never_the_person(client):
    editor = MembershipFactory(role=Role.EDITOR, user__email="checker.person@example.org").user
    editor.profile.display_name = "Checker Person"
    editor.profile.save()
    org = editor.memberships.get().organisation
    service = make_full_service(org, name="Checked Service")
    Service.objects.filter(pk=service.pk).update(assured_by=editor)

    html = page(client, service)
    assert f"Checked by {org.name} on" in text(html)
    assert "checker.person" not in html
    assert "Checker Person" not in html


def test_a_confidential_location_shows_only_its_area(client):
    service = make_full_service(
        name="Safe House Support",
        locations=[
            location_data(
                name="Refuge House",
                address_1="12 Hidden Lane",
                address_2="Back entrance",
                city="Leeds",
                postcode="LS9 9ZZ",
                confidential=True,
                public_area="East Leeds",
                latitude=53.81234,
                longitude=-1.51234,
                transport="Behind the Hidden Lane shops.",
                accessibility_notes="Side door on Hidden Lane.",
                accessibility=["step_free"],
            )
        ],
    )

    html = page(client, service)

    assert "Area: East Leeds — address given on referral" in text(html)
    assert "Step-free access" in text(html)  # what helps people get in is still shown
    for secret in (
        "Hidden Lane",
        "Back entrance",
        "LS9 9ZZ",
        "Refuge House",
        "53.81234",
        "53.8123",
        "-1.51234",
        "1.5123",
        "openstreetmap",
    ):
        assert secret not in html, secret


def test_a_confidential_locations_hours_show_without_their_notes(client):
    """The refuge's hours are shown, but not its note "Ring at number 17", nor anything else
    that could give the address away (the shared list of the refuge's secrets)."""
    service = make_hub_service()

    html = page(client, service)

    assert "Wednesday 10:00 to 16:00" in text(html)  # the refuge's hours
    assert "Drop-in until 12:00" in text(html)  # a public place's notes stay
    for secret in REFUGE_SECRETS:
        assert secret not in html, secret


def test_stale_warning_after_twelve_months(client):
    service = make_full_service(name="Old Entry")
    assert "This information may be out of date" not in text(page(client, service))

    checked = timezone.now() - timedelta(days=400)
    Service.objects.filter(pk=service.pk).update(assured_at=checked)
    words = text(page(client, service))
    assert "This information may be out of date" in words
    assert (
        f"last checked it on {timezone.localtime(checked):%-d %B %Y}, more than 12 months" in words
    )


def test_lapsed_referral_claims_show_not_known(client):
    service = make_full_service(
        name="Lapsed Service", accepting_referrals="no", typical_wait="about 2 weeks"
    )
    assert "Accepting referrals now Not accepting referrals (as of" in text(page(client, service))

    old = timezone.now() - timedelta(days=31)
    Service.objects.filter(pk=service.pk).update(
        accepting_referrals_as_of=old, typical_wait_as_of=old, referral_as_of=old
    )
    words = text(page(client, service))
    assert "Accepting referrals now Not known — last confirmed over 30 days ago" in words
    assert "Typical wait Not known — last confirmed over 30 days ago" in words
    assert "about 2 weeks" not in words
    assert "Not accepting referrals" not in words
    assert f"How to refer was last confirmed on {timezone.localtime(old):%-d %B %Y}" in words


def test_related_services_read_from_both_sides(client):
    crisis = make_full_service(name="Crisis Team")
    wait_for = make_full_service(name="Talking Therapies")
    alongside = make_full_service(name="Walking Group")
    recovery = make_full_service(
        name="Recovery House",
        links=[
            (crisis, ServiceLink.Kind.STEP_DOWN_FROM, "After a crisis stay."),
            (wait_for, ServiceLink.Kind.WHILE_YOU_WAIT),
            (alongside, ServiceLink.Kind.USED_ALONGSIDE),
        ],
    )

    words = text(page(client, recovery))
    assert "Next steps and related services" in words
    assert "Step down from Crisis Team" in words
    assert "After a crisis stay." in words
    assert "While you wait for Talking Therapies" in words
    assert "Often used alongside Walking Group" in words

    assert "Step down to Recovery House" in text(page(client, crisis))
    assert "Support while you wait: Recovery House" in text(page(client, wait_for))
    assert "Often used alongside Recovery House" in text(page(client, alongside))

    Service.objects.filter(pk=crisis.pk).update(status=Service.Status.DEFUNCT)
    assert "Crisis Team" not in text(page(client, recovery))  # closed services drop out


def test_a_service_that_is_not_active_says_so(client):
    service = make_full_service(name="Paused Group", status="temporarily closed")
    words = text(page(client, service))
    assert "Temporarily closed" in words
    assert "This service is closed for now." in words


def test_unknown_service_is_404(client):
    client.get("/services/")  # the support lines are cached, as on any visit
    assert client.get("/services/6f1d0a4e-1a44-4f0e-9a9e-000000000000/").status_code == 404


def test_editors_see_edit_and_still_correct_others_do_not(client):
    editor = MembershipFactory(role=Role.EDITOR).user
    org = editor.memberships.get().organisation
    service = make_full_service(org, name="Editable")

    html = page(client, service)
    assert "Edit this service" not in html and "Still correct" not in html
    assert "Add to a shortlist" not in html

    client.force_login(MembershipFactory(role=Role.EDITOR).user)  # an editor elsewhere
    html = page(client, service)
    assert "Edit this service" not in html and "Still correct" not in html
    assert "Add to a shortlist" in html  # any staff member may shortlist

    client.force_login(editor)
    html = page(client, service)
    assert f'href="/services/{service.pk}/edit/"' in html
    assert f'action="/services/{service.pk}/assure/"' in html
    assert "Still correct" in html


def test_still_correct_from_the_page_clears_the_stale_warning(client):
    editor = MembershipFactory(role=Role.EDITOR).user
    service = make_full_service(editor.memberships.get().organisation, name="Old Entry")
    Service.objects.filter(pk=service.pk).update(assured_at=timezone.now() - timedelta(days=400))
    client.force_login(editor)
    assert "This information may be out of date" in text(page(client, service))

    response = client.post(f"/services/{service.pk}/assure/", follow=True)

    words = text(response.content.decode())
    assert response.redirect_chain[-1][0] == f"/services/{service.pk}/"
    assert "This information may be out of date" not in words
    assert f"Checked by {service.organisation.name} on {timezone.localdate():%-d %B %Y}" in words


def _service_with(n: int) -> Service:
    others = [make_full_service(name=f"Other {i}") for i in range(n)]
    service = make_full_service(
        name=f"Busy Service {n}",
        categories=["debt-advice", "benefits-advice"][: min(n, 2)],
        locations=[location_data(i) for i in range(n)],
        links=[(other, ServiceLink.Kind.USED_ALONGSIDE) for other in others],
        contacts=[{"name": f"Contact {i}", "phone": f"0113 000 00{i:02d}"} for i in range(n)],
        phones=[{"number": f"0113 111 00{i:02d}"} for i in range(n)],
        areas=[(ServiceArea.Kind.POSTCODE_DISTRICT, f"LS{i + 1}") for i in range(n)],
    )
    for other in others:
        ServiceLink.objects.create(
            from_service=other, to_service=service, kind=ServiceLink.Kind.STEP_DOWN_FROM
        )
    return service


def test_query_count_is_the_same_for_1_and_6_locations_and_links(
    client, django_assert_max_num_queries
):
    staff = MembershipFactory(role=Role.EDITOR).user
    client.force_login(staff)
    small, large = _service_with(1), _service_with(6)
    page(client, small)  # warm the site-wide cache

    counts = []
    for service in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            html = page(client, service)
        counts.append(len(ctx.captured_queries))
    assert "Other 5" in html and Phone.objects.filter(service=large).count() == 12
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(16):
        page(client, large)


# --- Report a problem -----------------------------------------------------------------------


def test_reporting_needs_an_account(client):
    service = make_full_service(name="Reported")
    response = client.get(f"/services/{service.pk}/report/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    response = client.post(f"/services/{service.pk}/report/", {"reason": "closed"})
    assert response.status_code == 302
    assert ProblemReport.objects.count() == 0


def test_report_emails_editors_and_moderators_once_and_never_names_the_reporter(
    client, django_capture_on_commit_callbacks
):
    org = OrganisationFactory(name="Eastbrook Mind")
    editor = MembershipFactory(
        organisation=org, role=Role.EDITOR, user__email="ed@example.org"
    ).user
    admin = MembershipFactory(organisation=org, role=Role.ADMIN, user__email="ad@example.org").user
    MembershipFactory(organisation=org, role=Role.MEMBER, user__email="member@example.org")
    MembershipFactory(role=Role.EDITOR, user__email="elsewhere@example.org")
    moderator = UserFactory(email="mod@example.org", is_moderator=True)
    # An editor who is also a moderator gets one email, not two.
    both = MembershipFactory(
        organisation=org, role=Role.EDITOR, user__email="both@example.org"
    ).user
    both.is_moderator = True
    both.save()
    reporter = UserFactory(email="reporter.person@example.org")
    service = make_full_service(org, name="Eastbrook Debt Advice")
    client.force_login(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/services/{service.pk}/report/",
            {"reason": "wrong_contact", "details": "The phone number rings out."},
        )

    assert response.status_code == 302
    assert response["Location"] == f"/services/{service.pk}/report/thanks/"
    report = ProblemReport.objects.get()
    assert (report.service, report.reason, report.details, report.reported_by) == (
        service,
        "wrong_contact",
        "The phone number rings out.",
        reporter,
    )
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [editor.email, admin.email, moderator.email, both.email]
    )  # each exactly once
    assert all(
        len(message.to) == 1 and not message.cc and not message.bcc for message in mail.outbox
    )
    for message in mail.outbox:
        everything = " ".join(
            [message.subject, message.body, str(message.extra_headers), str(message.reply_to)]
        )
        assert "reporter.person" not in everything
        assert "Eastbrook Debt Advice" in message.subject
        assert "Contact details are wrong" in message.body
        assert "The phone number rings out." in message.body
        assert f"/services/{service.pk}/" in message.body
    entry = AuditEntry.objects.get(action="services.problem_report.created")
    assert entry.actor == reporter and entry.organisation == org
    assert entry.data == {
        "service": str(service.pk),
        "report": str(report.pk),
        "reason": "wrong_contact",
    }

    thanks = client.get(response["Location"])
    assert "Thank you for your report" in thanks.content.decode()


def test_report_bad_input_keeps_what_was_typed_and_saves_nothing(
    client, django_capture_on_commit_callbacks
):
    service = make_full_service(name="Reported")
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/services/{service.pk}/report/", {"details": "Half typed"})
        html = response.content.decode()
        assert response.status_code == 200
        assert error_text(html, "id_reason") == "Error: Choose what is wrong."
        assert "Half typed</textarea>" in html

        response = client.post(f"/services/{service.pk}/report/", {"reason": "other"})
        html = response.content.decode()
        assert error_text(html, "id_details") == "Error: Tell us what is wrong."
        assert 'value="other" checked' in html

        response = client.post(f"/services/{service.pk}/report/", {"reason": "made-up"})
        assert "Select a valid choice" in error_text(response.content.decode(), "id_reason")

    assert ProblemReport.objects.count() == 0
    assert mail.outbox == []


def test_report_page_for_an_unknown_service_is_404(client):
    client.force_login(UserFactory())
    client.get("/services/")
    response = client.get("/services/6f1d0a4e-1a44-4f0e-9a9e-000000000000/report/")
    assert response.status_code == 404
