"""Shortlists: a staff member's own lists, their print view, emailing one to a client, and the
directory's part of "download my data" / "delete my account"."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection

from accounts import domain as accounts_domain
from accounts.models import AuditEntry, Role
from services import domain
from services.models import ProblemReport, Shortlist, ShortlistItem
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.services import location_data, make_full_service, snapshot
from tests.services.html import checked, error_text, result_names, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return MembershipFactory(role=Role.MEMBER).user


@pytest.fixture
def service():
    return make_full_service(
        name="Eastbrook Debt Advice",
        summary="Free, confidential help with debts.",
        referral_routes=["self", "gp"],
        referral_phone="0113 496 0000",
        referral_form_url="https://eastbrook.example/refer",
        url="https://eastbrook.example/debt",
        phones=[{"number": "0113 496 0002", "description": "Main office"}],
        locations=[location_data(name="Eastbrook Hub", address_1="1 Market Street")],
    )


@pytest.fixture
def safe_house():
    return make_full_service(
        name="Safe House Support",
        locations=[
            location_data(
                name="Refuge House",
                address_1="12 Hidden Lane",
                postcode="LS9 9ZZ",
                confidential=True,
                public_area="East Leeds",
                latitude=53.81234,
                longitude=-1.51234,
            )
        ],
    )


def make_list(owner, *services, name="Housing and money", note="Ring back Tuesday"):
    shortlist = Shortlist.objects.create(owner=owner, name=name, note=note)
    for s in services:
        ShortlistItem.objects.create(shortlist=shortlist, service=s, note=f"Note on {s.name}")
    return shortlist


def urls(shortlist, item=None):
    base = f"/services/shortlists/{shortlist.pk}/"
    found = {
        "detail": ("get", base),
        "edit": ("get", base + "edit/"),
        "edit-post": ("post", base + "edit/"),
        "delete": ("get", base + "delete/"),
        "delete-post": ("post", base + "delete/"),
        "print": ("get", base + "print/"),
        "email": ("get", base + "email/"),
        "email-post": ("post", base + "email/"),
    }
    if item is not None:
        found["note"] = ("post", base + f"items/{item.pk}/note/")
        found["remove"] = ("post", base + f"items/{item.pk}/remove/")
    return found


# --- Who may ------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in(client, staff, service):
    shortlist = make_list(staff, service)
    item = shortlist.items.get()
    everything = {
        **urls(shortlist, item),
        "mine": ("get", "/services/shortlists/"),
        "new": ("get", "/services/shortlists/new/"),
        "add": ("post", f"/services/{service.pk}/shortlist/"),
    }
    for name, (method, url) in everything.items():
        response = getattr(client, method)(url, {"name": "x", "note": "x", "email": "a@b.example"})
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/?next="), name
    assert (
        ShortlistItem.objects.count() == 1 and Shortlist.objects.get().name == "Housing and money"
    )


def test_someone_without_a_role_in_an_organisation_is_refused(client, service):
    client.force_login(UserFactory())
    client.get("/services/")  # warm the site-wide cache
    assert client.get("/services/shortlists/").status_code == 403
    assert (
        client.post(
            f"/services/{service.pk}/shortlist/", {"shortlist": "new", "new_name": "x"}
        ).status_code
        == 403
    )
    assert Shortlist.objects.count() == 0


def test_nobody_else_can_see_or_change_my_lists(client, staff, service, mailoutbox):
    shortlist = make_list(staff, service)
    item = shortlist.items.get()
    other = MembershipFactory(role=Role.ADMIN).user
    client.force_login(other)

    for name, (method, url) in urls(shortlist, item).items():
        data = {"name": "Taken", "note": "Changed", "email": "client@example.org"}
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, name

    # Nor can they add to my list by naming it.
    response = client.post(f"/services/{service.pk}/shortlist/", {"shortlist": str(shortlist.pk)})
    assert response.status_code == 200
    assert "Select a valid choice" in error_text(response.content.decode(), "id_shortlist")

    my_list = client.get("/services/shortlists/").content.decode()
    assert "Housing and money" not in my_list
    shortlist.refresh_from_db()
    assert (shortlist.name, shortlist.note) == ("Housing and money", "Ring back Tuesday")
    assert ShortlistItem.objects.get().note == "Note on Eastbrook Debt Advice"
    assert mailoutbox == []


# --- Using lists --------------------------------------------------------------------------------


def test_make_a_list_and_add_services_from_the_service_page(client, staff, service):
    client.force_login(staff)

    response = client.post("/services/shortlists/new/", {"name": "  ", "note": "Kept note"})
    html = response.content.decode()
    assert error_text(html, "id_name") == "Error: Enter a name for the list."
    assert "Kept note</textarea>" in html

    # Past the box's limit (a script, or an old browser): said plainly, the note kept.
    response = client.post("/services/shortlists/new/", {"name": "M" * 101, "note": "Kept note"})
    html = response.content.decode()
    assert error_text(html, "id_name") == "Error: The name must be 100 characters or fewer."
    assert "Kept note</textarea>" in html
    assert not Shortlist.objects.exists()

    response = client.post("/services/shortlists/new/", {"name": "Money", "note": ""})
    shortlist = Shortlist.objects.get()
    assert response["Location"] == f"/services/shortlists/{shortlist.pk}/"
    assert shortlist.owner == staff

    # The service page offers my lists and a new one.
    html = client.get(f"/services/{service.pk}/").content.decode()
    assert f'value="{shortlist.pk}"' in html and 'value="new"' in html

    add = f"/services/{service.pk}/shortlist/"
    response = client.post(
        add, {"shortlist": str(shortlist.pk), "next": f"/services/{service.pk}/"}
    )
    assert response["Location"] == f"/services/{service.pk}/"
    response = client.post(add, {"shortlist": str(shortlist.pk), "next": "https://evil.example/"})
    assert response["Location"] == f"/services/{service.pk}/"  # never off-site
    assert ShortlistItem.objects.filter(shortlist=shortlist).count() == 1  # added once
    assert f"On your list: {shortlist.name}" in text(
        client.get(f"/services/{service.pk}/").content.decode()
    )

    # A new list, from the same form; a name is needed.
    response = client.post(add, {"shortlist": "new", "new_name": "", "note": "typed"})
    html = response.content.decode()
    assert error_text(html, "id_new_name") == "Error: Enter a name for the new list."
    assert 'value="typed"' in html
    client.post(add, {"shortlist": "new", "new_name": "Second list", "note": "Ask about Fridays"})
    second = Shortlist.objects.get(name="Second list")
    assert second.items.get().note == "Ask about Fridays"


def test_add_from_search_results_comes_back_to_the_search(client, staff, service):
    client.force_login(staff)
    back = "/services/?q=debt"
    html = client.get(
        f"/services/{service.pk}/shortlist/?next=/services/%3Fq%3Ddebt"
    ).content.decode()
    assert checked(html, "shortlist") == ["new"]  # no lists yet: a new one is chosen
    response = client.post(
        f"/services/{service.pk}/shortlist/",
        {"shortlist": "new", "new_name": "From search", "next": back},
    )
    assert response["Location"] == back


def test_notes_and_removing(client, staff, service, safe_house):
    shortlist = make_list(staff, service, safe_house)
    first, second = shortlist.items.all()
    client.force_login(staff)

    html = client.get(shortlist.get_absolute_url()).content.decode()
    assert result_names(html) == ["Eastbrook Debt Advice", "Safe House Support"]
    assert 'value="Note on Eastbrook Debt Advice"' in html

    response = client.post(urls(shortlist, first)["note"][1], {"note": "  Call first  "})
    assert response["Location"] == shortlist.get_absolute_url()
    first.refresh_from_db()
    assert first.note == "Call first"
    client.post(urls(shortlist, first)["note"][1], {"note": "x" * 501})
    first.refresh_from_db()
    assert first.note == "Call first"  # too long: refused, kept

    client.post(urls(shortlist, second)["remove"][1])
    assert list(shortlist.items.values_list("service__name", flat=True)) == [
        "Eastbrook Debt Advice"
    ]
    assert client.get(urls(shortlist, second)["note"][1]).status_code == 405  # POST only

    client.post(urls(shortlist)["edit-post"][1], {"name": "Renamed", "note": ""})
    shortlist.refresh_from_db()
    assert (shortlist.name, shortlist.note) == ("Renamed", "")

    client.post(urls(shortlist)["delete-post"][1])
    assert not Shortlist.objects.exists() and not ShortlistItem.objects.exists()


def test_shortlist_page_query_count_is_fixed(client, staff, django_assert_max_num_queries):
    services = [
        make_full_service(name=f"Service {n}", locations=[location_data(n)]) for n in range(8)
    ]
    small, large = make_list(staff, services[0]), make_list(staff, *services)
    client.force_login(staff)
    client.get(small.get_absolute_url())
    for shortlist in (small, large):
        for suffix in ("", "print/"):
            with django_assert_max_num_queries(9):
                assert client.get(shortlist.get_absolute_url() + suffix).status_code == 200


def test_print_view_has_how_to_refer_and_never_a_confidential_address(
    client, staff, service, safe_house
):
    shortlist = make_list(staff, service, safe_house)
    client.force_login(staff)

    html = client.get(f"/services/shortlists/{shortlist.pk}/print/").content.decode()
    words = text(html)
    for expected in [
        "Services from Joined Up",
        "Ring back Tuesday",
        "Eastbrook Debt Advice",
        "Free, confidential help with debts.",
        "Who can refer Self-referral; GP",
        "Online form: https://eastbrook.example/refer",
        "Phone: 0113 496 0000",
        "Phone 0113 496 0002 (Main office)",
        "Website https://eastbrook.example/debt",
        "Eastbrook Hub, 1 Market Street, Leeds, LS1 5HD",
        f"/services/{service.pk}/",
        "Note Note on Eastbrook Debt Advice",
        "Area: East Leeds — address given on referral",
    ]:
        assert expected in words, expected
    for secret in ("Hidden Lane", "LS9 9ZZ", "Refuge House", "53.81234", "-1.51234"):
        assert secret not in html
    assert "<header" not in html and "<footer" not in html  # a page made for paper

    without = text(
        client.get(f"/services/shortlists/{shortlist.pk}/print/?notes=no").content.decode()
    )
    assert "Eastbrook Debt Advice" in without
    assert "Ring back Tuesday" not in without and "Note on" not in without


# --- Emailing a list to a client --------------------------------------------------------------

CLIENT = "Client.Person+jup@Example.org"


def _every_row_mentioning(needle: str) -> list[str]:
    """Tables (in this database) with any row whose text contains `needle`."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE %s',
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_email_sends_the_list_to_the_address_and_stores_it_nowhere(
    client, staff, service, safe_house, django_capture_on_commit_callbacks
):
    shortlist = make_list(staff, service, safe_house)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/services/shortlists/{shortlist.pk}/email/",
            {"email": CLIENT, "message": "Here are the places we talked about."},
        )

    assert response.status_code == 302
    assert response["Location"] == shortlist.get_absolute_url()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [CLIENT]
    assert message.subject == "Services from Joined Up"
    body = message.body
    for expected in [
        "Here are the places we talked about.",
        "Eastbrook Debt Advice",
        "Free, confidential help with debts.",
        "Who can refer: Self-referral; GP",
        "Refer by online form: https://eastbrook.example/refer",
        "Refer by phone: 0113 496 0000",
        "Phone: 0113 496 0002 (Main office)",
        "Website: https://eastbrook.example/debt",
        f"More details: {settings.SITE_URL}/services/{service.pk}/",
        "Safe House Support",
        "Where: Area: East Leeds — address given on referral",
    ]:
        assert expected in body, expected
    for private in (
        "Housing and money",
        "Ring back Tuesday",
        "Note on",
        staff.email,
        "Hidden Lane",
    ):
        assert private not in body, private

    # The address is nowhere: not in the list, its items, the audit log, the session, any table.
    lowered = CLIENT.lower()
    shortlist.refresh_from_db()
    for value in (shortlist.name, shortlist.note, *shortlist.items.values_list("note", flat=True)):
        assert lowered not in value.lower()
    entry = AuditEntry.objects.get(action="services.shortlist.emailed")
    assert entry.data == {"shortlist": str(shortlist.pk), "services": 2}
    assert lowered not in str(list(AuditEntry.objects.values_list("data", flat=True))).lower()
    for session in Session.objects.all():
        assert lowered not in str(session.get_decoded()).lower()
    assert _every_row_mentioning("client.person") == []
    assert "We have emailed the list of 2 services." in text(
        client.get(shortlist.get_absolute_url()).content.decode()
    )


def test_email_bad_address_gets_a_message_by_the_field_and_keeps_the_message(
    client, staff, service
):
    shortlist = make_list(staff, service)
    client.force_login(staff)

    response = client.post(
        f"/services/shortlists/{shortlist.pk}/email/",
        {"email": "not-an-address", "message": "See you Friday."},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert error_text(html, "id_email") == (
        "Error: Enter an email address in the correct format, like name@example.com."
    )
    assert "See you Friday.</textarea>" in html
    assert 'href="#id_email"' in html
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="services.shortlist.emailed").exists()


def test_email_an_empty_list_is_refused(client, staff):
    shortlist = make_list(staff)
    client.force_login(staff)
    response = client.post(f"/services/shortlists/{shortlist.pk}/email/", {"email": CLIENT})
    assert "Add at least one service" in text(response.content.decode())
    assert mail.outbox == []


def test_a_mail_failure_is_explained_and_nothing_is_recorded(client, staff, service):
    shortlist = make_list(staff, service)
    client.force_login(staff)
    with mock.patch("services.shortlists.send_mail", side_effect=ConnectionRefusedError):
        response = client.post(f"/services/shortlists/{shortlist.pk}/email/", {"email": CLIENT})
    assert response.status_code == 200
    assert "We could not send the email just now." in text(response.content.decode())
    assert not AuditEntry.objects.filter(action="services.shortlist.emailed").exists()


def test_emailing_is_limited_per_hour(client, staff, service):
    shortlist = make_list(staff, service)
    client.force_login(staff)
    url = f"/services/shortlists/{shortlist.pk}/email/"
    for _ in range(20):
        assert client.post(url, {"email": CLIENT}).status_code == 302
    response = client.post(url, {"email": CLIENT})
    assert "You have emailed a lot of lists in the last hour." in text(response.content.decode())
    assert len(mail.outbox) == 20


# --- Download my data / delete my account -------------------------------------------------------


def test_my_data_has_my_lists_and_reports_and_deleting_me_removes_my_lists(staff, service):
    shortlist = make_list(staff, service)
    other_list = make_list(MembershipFactory().user, service, name="Someone else's")
    ProblemReport.objects.create(
        service=service, reason="closed", details="Shut last week.", reported_by=staff
    )

    data = accounts_domain.user_export(user=staff)["directory"]

    assert data["shortlists"] == [
        {
            "id": str(shortlist.pk),
            "name": "Housing and money",
            "note": "Ring back Tuesday",
            "created_at": shortlist.created_at.isoformat(),
            "items": [
                {
                    "service": "Eastbrook Debt Advice",
                    "service_id": str(service.pk),
                    "note": "Note on Eastbrook Debt Advice",
                    "added_at": shortlist.items.get().added_at.isoformat(),
                }
            ],
        }
    ]
    [report] = data["problem_reports"]
    assert (report["service"], report["reason"], report["details"]) == (
        "Eastbrook Debt Advice",
        "The service has closed",
        "Shut last week.",
    )

    accounts_domain.user_delete(user=staff)

    assert list(Shortlist.objects.all()) == [other_list]
    kept = ProblemReport.objects.get()
    assert kept.reported_by is None and kept.details == "Shut last week."


def test_my_data_has_the_changes_i_proposed_and_the_services_i_checked(service):
    editor = MembershipFactory(role=Role.EDITOR, organisation=service.organisation).user
    unverified = OrganisationFactory(name="New Group", verified_at=None)
    MembershipFactory(role=Role.EDITOR, organisation=unverified, user=editor)
    change = domain.service_submit(
        organisation=unverified, snapshot=snapshot(name="Allotment Club"), actor=editor
    )
    domain.service_assure(service=service, actor=editor)
    service.refresh_from_db()

    data = accounts_domain.user_export(user=editor)["directory"]

    assert data["changes_proposed"] == [
        {
            "id": str(change.pk),
            "organisation": "New Group",
            "service": "Allotment Club",
            "service_id": None,
            "status": "Waiting for approval",
            "submitted_at": change.submitted_at.isoformat(),
            "decided_at": None,
            "reason": "",
        }
    ]
    assert data["services_checked"] == [
        {
            "service": "Eastbrook Debt Advice",
            "service_id": str(service.pk),
            "checked_at": service.assured_at.isoformat(),
        }
    ]

    accounts_domain.user_delete(user=editor)

    change.refresh_from_db()
    service.refresh_from_db()
    assert change.submitted_by is None and change.status == "pending"
    assert service.assured_by is None and service.assured_at is not None


def test_problem_reports_are_limited_to_ten_an_hour_per_person():
    from django.core.exceptions import ValidationError

    from services.models import ProblemReport
    from services.reports import REPORTS_PER_HOUR, problem_report_create
    from tests.factories.accounts import UserFactory
    from tests.factories.services import ServiceFactory

    service = ServiceFactory()
    reporter = UserFactory()
    for _ in range(REPORTS_PER_HOUR):
        problem_report_create(service=service, reporter=reporter, reason="closed")
    with pytest.raises(ValidationError) as refused:
        problem_report_create(service=service, reporter=reporter, reason="closed")

    assert refused.value.message_dict == {
        "details": ["You have sent a lot of reports in the last hour. Try again later."]
    }
    assert ProblemReport.objects.filter(reported_by=reporter).count() == 10
    # Someone else can still report.
    problem_report_create(service=service, reporter=UserFactory(), reason="closed")
