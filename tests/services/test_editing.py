"""Keeping the directory current: the editor's form, changes and their approval, "still correct"
from the page and from a signed email link. Domain and pages; refusals and bad input."""

from datetime import time, timedelta
from unittest import mock

import pytest
from django import forms
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEntry, Role
from services import domain
from services.models import (
    ChangeRequest,
    Contact,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceLink,
)
from tests.factories.accounts import OrganisationFactory, UserFactory, give_mfa
from tests.factories.services import (
    editor_of,
    hub_snapshot,
    make_service,
    snapshot,
)

pytestmark = pytest.mark.django_db
D = "\u2013"  # the en dash between times


# --- Helpers -----------------------------------------------------------------------------------


def unverified():
    return OrganisationFactory(verified_at=None)


def approver():
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    return admin


def bell_snapshot(**fields) -> dict:
    """A service at the Old Bell, open Tuesday 10:00-12:00."""
    data = snapshot(**fields)
    data["locations"] = [
        {
            "id": None,
            "name": "Old Bell",
            "location_type": "physical",
            "address_1": "1 Bell Lane",
            "city": "Leeds",
            "postcode": "LS1 4AP",
            "latitude": 53.7966,
            "longitude": -1.5479,
            "schedules": [{"weekday": 1, "opens_at": "10:00", "closes_at": "12:00", "notes": ""}],
        }
    ]
    return data


def bell_service(organisation, **fields) -> Service:
    return domain.service_save(organisation=organisation, snapshot=bell_snapshot(**fields))


def with_tuesday(snap: dict, opens: str, closes: str) -> dict:
    snap = {**snap, "locations": [dict(loc) for loc in snap["locations"]]}
    snap["locations"][0]["schedules"] = [
        {"weekday": 1, "opens_at": opens, "closes_at": closes, "notes": ""}
    ]
    return snap


def hours(service) -> list[tuple]:
    return [
        (s.weekday, f"{s.opens_at:%H:%M}", f"{s.closes_at:%H:%M}")
        for s in Schedule.objects.filter(service_at_location__service=service)
    ]


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def form_data(response) -> dict:
    """What a browser sends back from the edit page as rendered, with nothing changed."""
    editor = response.context["editor"]
    data: dict = {}

    def put(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(bound.field, forms.MultipleChoiceField):
                data[bound.html_name] = [str(v) for v in value or []]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    put(editor.form)
    for _label, formset in editor.formsets:
        put(formset.management_form)
        for form in formset.forms:
            put(form)
    return data


# --- domain.service_submit ---------------------------------------------------------------------


def test_verified_organisations_editor_saves_at_once():
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    editor = editor_of(organisation)
    snap = with_tuesday(domain.service_snapshot(service), "10:00", "13:00")

    result = domain.service_submit(organisation=organisation, snapshot=snap, actor=editor)

    assert result == service
    assert hours(service) == [(1, "10:00", "13:00")]
    assert not ChangeRequest.objects.exists()
    entry = AuditEntry.objects.filter(action="services.service.updated").latest("id")
    assert entry.actor == editor
    assert entry.data["changed"] == ["locations"]


def test_unverified_organisations_change_waits_and_admins_are_told(
    django_capture_on_commit_callbacks,
):
    organisation = unverified()
    service = bell_service(organisation, summary="Before.")
    editor = editor_of(organisation)
    admin = approver()
    UserFactory(is_platform_admin=True, is_active=False)  # not told
    snap = domain.service_snapshot(service)
    snap["fields"]["summary"] = "After."

    with django_capture_on_commit_callbacks(execute=True):
        change = domain.service_submit(organisation=organisation, snapshot=snap, actor=editor)

    assert isinstance(change, ChangeRequest)
    assert change.status == ChangeRequest.Status.PENDING
    assert change.service == service
    assert change.submitted_by == editor
    assert change.proposed["fields"]["summary"] == "After."
    service.refresh_from_db()
    assert service.summary == "Before."
    entry = AuditEntry.objects.get(action="services.change.submitted")
    assert entry.data == {
        "change": str(change.pk),
        "service": str(service.pk),
        "replaced": False,
        "changed": ["summary"],
    }
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert f"/services/changes/{change.pk}/" in mail.outbox[0].body


def test_a_second_proposal_replaces_the_pending_one(django_capture_on_commit_callbacks):
    organisation = unverified()
    service = bell_service(organisation)
    first, second = editor_of(organisation), editor_of(organisation)
    approver()
    snap = domain.service_snapshot(service)

    with django_capture_on_commit_callbacks(execute=True):
        one = domain.service_submit(
            organisation=organisation, snapshot=with_tuesday(snap, "10:00", "13:00"), actor=first
        )
        two = domain.service_submit(
            organisation=organisation, snapshot=with_tuesday(snap, "09:00", "13:00"), actor=second
        )

    assert one.pk == two.pk
    change = ChangeRequest.objects.get()
    assert change.submitted_by == second
    assert change.proposed["locations"][0]["schedules"][0]["opens_at"] == "09:00"
    assert len(mail.outbox) == 1  # admins are told once, when it joins the queue
    assert [
        e.data["replaced"]
        for e in AuditEntry.objects.filter(action="services.change.submitted").order_by("id")
    ] == [False, True]


def test_unverified_new_service_is_a_proposal_without_a_service():
    organisation = unverified()
    editor = editor_of(organisation)

    change = domain.service_submit(
        organisation=organisation, snapshot=snapshot(name="Brand New"), actor=editor
    )

    assert change.service is None
    assert not Service.objects.filter(name="Brand New").exists()


def test_a_proposal_that_could_not_be_applied_is_refused_at_once():
    organisation = unverified()
    service = bell_service(organisation)
    snap = with_tuesday(domain.service_snapshot(service), "12:00", "10:00")

    with pytest.raises(ValidationError, match="closing time must be after the opening time"):
        domain.service_submit(
            organisation=organisation, snapshot=snap, actor=editor_of(organisation)
        )

    assert not ChangeRequest.objects.exists()
    assert hours(service) == [(1, "10:00", "12:00")]
    assert "services.change.submitted" not in actions()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FACILITATOR])
def test_only_editors_and_admins_may_submit(role):
    organisation = OrganisationFactory()
    service = bell_service(organisation, summary="Before.")
    snap = domain.service_snapshot(service)
    snap["fields"]["summary"] = "After."
    someone = editor_of(organisation, role=role)

    with pytest.raises(PermissionDenied):
        domain.service_submit(organisation=organisation, snapshot=snap, actor=someone)
    with pytest.raises(PermissionDenied):
        domain.service_submit(organisation=organisation, snapshot=snapshot(), actor=someone)

    service.refresh_from_db()
    assert service.summary == "Before."
    assert Service.objects.count() == 1


def test_editor_of_one_organisation_cannot_submit_anothers_service():
    a, b = OrganisationFactory(), OrganisationFactory()
    service_b = bell_service(b, summary="Before.")
    snap = domain.service_snapshot(service_b)
    snap["fields"]["summary"] = "After."

    with pytest.raises(PermissionDenied):  # claiming it is A's
        domain.service_submit(organisation=a, snapshot=snap, actor=editor_of(a))
    with pytest.raises(PermissionDenied):  # as B's, but not B's editor
        domain.service_submit(organisation=b, snapshot=snap, actor=editor_of(a))

    service_b.refresh_from_db()
    assert service_b.summary == "Before."


# --- Approval ---------------------------------------------------------------------------------


def _pending_change(organisation=None, **fields):
    organisation = organisation or unverified()
    service = bell_service(organisation, summary="Before.")
    editor = editor_of(organisation)
    snap = with_tuesday(domain.service_snapshot(service), "10:00", "13:00")
    snap["fields"].update(fields)
    change = domain.service_submit(organisation=organisation, snapshot=snap, actor=editor)
    return service, editor, change


def test_approving_applies_the_change_as_the_approver(django_capture_on_commit_callbacks):
    service, editor, change = _pending_change(summary="After.")
    admin = approver()

    with django_capture_on_commit_callbacks(execute=True):
        result = domain.change_approve(change=change, actor=admin)

    assert result == service
    service.refresh_from_db()
    assert service.summary == "After."
    assert hours(service) == [(1, "10:00", "13:00")]
    assert service.assured_by == admin
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ChangeRequest.Status.APPROVED, admin)
    approved = AuditEntry.objects.get(action="services.change.approved")
    assert approved.actor == admin
    assert approved.subject_user_id == editor.pk
    assert approved.data == {"change": str(change.pk), "service": str(service.pk)}
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert "approved" in mail.outbox[0].subject


def test_approving_a_new_service_creates_it():
    organisation = unverified()
    change = domain.service_submit(
        organisation=organisation,
        snapshot=snapshot(name="Brand New"),
        actor=editor_of(organisation),
    )

    service = domain.change_approve(change=change, actor=approver())

    assert service.name == "Brand New"
    assert service.organisation == organisation
    change.refresh_from_db()
    assert change.service == service


def test_declining_needs_a_reason_and_tells_the_editor(django_capture_on_commit_callbacks):
    service, editor, change = _pending_change(summary="After.")
    admin = approver()

    with pytest.raises(ValidationError):
        domain.change_decline(change=change, actor=admin, reason="   ")
    with django_capture_on_commit_callbacks(execute=True):
        domain.change_decline(change=change, actor=admin, reason="Give the new phone number.")

    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.DECLINED
    assert change.reason == "Give the new phone number."
    service.refresh_from_db()
    assert service.summary == "Before."
    entry = AuditEntry.objects.get(action="services.change.declined")
    assert entry.data["reason"] == "Give the new phone number."
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert "Give the new phone number." in mail.outbox[0].body
    with pytest.raises(ValidationError, match="already been decided"):
        domain.change_approve(change=change, actor=admin)


def test_editors_and_admins_without_mfa_cannot_approve_or_decline():
    service, editor, change = _pending_change(summary="After.")
    no_mfa = UserFactory(is_platform_admin=True)

    for person in (editor, no_mfa):
        with pytest.raises(PermissionDenied):
            domain.change_approve(change=change, actor=person)
        with pytest.raises(PermissionDenied):
            domain.change_decline(change=change, actor=person, reason="No.")

    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
    service.refresh_from_db()
    assert service.summary == "Before."


# --- snapshot_diff -----------------------------------------------------------------------------


def test_diff_describes_hours_by_location_and_day():
    service = bell_service(OrganisationFactory())
    before = domain.service_snapshot(service)

    rows = domain.snapshot_diff(before, with_tuesday(before, "10:00", "13:00"))

    assert rows == [("Location 'Old Bell'", "Tuesday hours", f"10:00{D}12:00", f"10:00{D}13:00")]


def test_diff_uses_readable_labels_and_values():
    service = domain.service_save(organisation=OrganisationFactory(), snapshot=hub_snapshot())
    before = domain.service_snapshot(service)
    after = domain.service_snapshot(service)
    after["fields"].update(
        summary="New summary.", is_free=True, accepting_referrals="no", referral_routes=["gp"]
    )
    after["taxonomy_terms"] = ["peer-support"]
    after["locations"][0]["schedules"].append(
        {"weekday": 4, "opens_at": "13:00", "closes_at": "15:00", "notes": "Term time"}
    )
    after["locations"] = after["locations"][:1]  # the refuge is removed
    after["contacts"][0]["email"] = "sam@example.org"
    after["phones"] = []
    after["service_areas"] = [{"kind": "postcode_district", "value": "LS7"}]

    rows = domain.snapshot_diff(before, after)

    assert rows == [
        ("About the service", "One-line summary", before["fields"]["summary"], "New summary."),
        ("About the service", "Free to use", "No", "Yes"),
        ("How to refer", "Who can refer", "Self-referral, GP, Named teams only", "GP"),
        ("How to refer", "Accepting referrals", "Accepting referrals", "Not accepting referrals"),
        ("Categories", "Categories", "Hearing voices groups, Peer support", "Peer support"),
        (
            "Location 'Northfield Community Centre'",
            "Friday hours",
            "Closed",
            f"13:00{D}15:00 (Term time)",
        ),
        ("Location 'Rosebank House Refuge'", "Location", "Listed", "Removed"),
        ("Contact 'Sam Patel'", "Email", "sam.patel@recovery-hub.example.org", "sam@example.org"),
        ("Phone numbers", "Phone number", f"0113 496 0000 extension 204 {D} Reception", "Removed"),
        ("Areas served", "Postcode districts", "LS6", "LS7"),
        ("Areas served", "Local authorities", "Leeds", ""),
    ]


def test_diff_of_a_new_service_lists_what_it_would_have():
    rows = domain.snapshot_diff(None, bell_snapshot(name="Brand New"))

    assert ("About the service", "Name", "", "Brand New") in rows
    assert ("New location 'Old Bell'", "Address line 1", "", "1 Bell Lane") in rows
    assert ("New location 'Old Bell'", "Tuesday hours", "", f"10:00{D}12:00") in rows


def test_diff_names_linked_services():
    organisation = OrganisationFactory(name="Leeds Mind")
    target = make_service(organisation, name="Crisis Cafe")
    service = bell_service(OrganisationFactory())
    before = domain.service_snapshot(service)
    after = {
        **before,
        "links": [{"to_service": str(target.pk), "kind": "while_you_wait", "note": ""}],
    }

    assert domain.snapshot_diff(before, after) == [
        ("Links to other services", "While you wait for", "", "Crisis Cafe (Leeds Mind)")
    ]


# --- service_save keeps bad input from becoming a server error ----------------------------------


def test_save_refuses_links_to_missing_services_and_dedupes():
    organisation = OrganisationFactory()
    target = make_service(organisation, name="Target")
    snap = bell_snapshot()
    snap["service_areas"] = [
        {"kind": "postcode_district", "value": "ls6"},
        {"kind": "postcode_district", "value": "LS6 "},
    ]
    snap["links"] = [
        {"to_service": str(target.pk), "kind": "used_alongside"},
        {"to_service": str(target.pk), "kind": "used_alongside", "note": "again"},
    ]
    service = domain.service_save(organisation=organisation, snapshot=snap)
    assert list(ServiceArea.objects.filter(service=service).values_list("value", flat=True)) == [
        "LS6"
    ]
    assert ServiceLink.objects.filter(from_service=service).count() == 1

    snap = domain.service_snapshot(service)
    snap["links"] = [
        {"to_service": "6a0d2b36-6c8e-4a41-9f0e-9d1ab7a3c111", "kind": "used_alongside"}
    ]
    with pytest.raises(ValidationError, match="no longer in the directory"):
        domain.service_save(organisation=organisation, snapshot=snap)
    snap["links"] = [{"to_service": str(service.pk), "kind": "used_alongside"}]
    with pytest.raises(ValidationError, match="cannot be linked to itself"):
        domain.service_save(organisation=organisation, snapshot=snap)


def test_save_does_not_take_over_another_services_contact_ids():
    organisation = OrganisationFactory()
    other = domain.service_save(organisation=organisation, snapshot=hub_snapshot(name="Other"))
    stolen = domain.service_snapshot(other)["contacts"][0]["id"]
    snap = bell_snapshot()
    snap["contacts"] = [{"id": stolen, "name": "Me", "title": "", "email": "", "phone": ""}]

    service = domain.service_save(organisation=organisation, snapshot=snap)

    assert Contact.objects.get(pk=stolen).service == other
    assert Contact.objects.get(service=service).name == "Me"
    assert Phone.objects.filter(service=other).count() == 2


# --- The edit page ----------------------------------------------------------------------------


def test_saving_the_page_unchanged_keeps_every_section_exactly(client):
    """Every section of a full service survives the form, coordinates and ids included."""
    organisation = OrganisationFactory()
    target = make_service(OrganisationFactory(), name="Crisis Cafe")
    service = domain.service_save(
        organisation=organisation,
        snapshot=hub_snapshot(
            links=[(target.pk, "while_you_wait", "Ask at reception")],
            alert_starts_at="2025-12-24T00:00:00+00:00",
            alert_ends_at="2025-12-27T00:00:00+00:00",
        ),
    )
    client.force_login(editor_of(organisation))
    before = domain.service_snapshot(service)
    url = f"/services/{service.pk}/edit/"
    page = client.get(url)
    assert 'name="alert_starts_at" value="24/12/2025"' in page.content.decode()
    assert 'name="alert_ends_at" value="26/12/2025"' in page.content.decode()
    data = form_data(page)
    data.update(alert_starts_at="24/12/2025", alert_ends_at="26/12/2025")  # as the browser sends

    response = client.post(url, data)

    assert response.status_code == 302, response.context["error_items"]
    assert domain.service_snapshot(service) == before


def test_announcement_dates_are_whole_days(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data.update(
        alert="Closed for the summer", alert_starts_at="1/8/2026", alert_ends_at="14/08/2026"
    )

    assert client.post(url, data).status_code == 302
    service.refresh_from_db()
    # Midnight in London (BST) at the start of the first day, and after the last day.
    assert service.alert_starts_at.isoformat() == "2026-07-31T23:00:00+00:00"
    assert service.alert_ends_at.isoformat() == "2026-08-14T23:00:00+00:00"


def test_unverified_editor_sending_no_change_is_told_so(client):
    organisation = unverified()
    service = domain.service_save(organisation=organisation, snapshot=hub_snapshot())
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"

    response = client.post(url, form_data(client.get(url)))

    assert response.status_code == 200
    assert "You have not changed anything" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_editor_edits_hours_on_the_page(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation, name="Bell Lane Drop-in")
    editor = editor_of(organisation)
    client.force_login(editor)
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data.update({"locations-0-h1_closes": "1pm", "locations-0-h3_opens": "0930"})
    data.update({"locations-0-h3_closes": "11.00", "locations-0-h3_notes": "Women only"})

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"/services/{service.pk}/"
    assert hours(service) == [(1, "10:00", "13:00"), (3, "09:30", "11:00")]
    assert Schedule.objects.get(weekday=3).notes == "Women only"
    service.refresh_from_db()
    assert service.assured_by == editor


def test_bad_hours_are_shown_on_their_row_and_nothing_is_lost(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation, summary="Before.")
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data.update(
        {
            "summary": "Typed but not saved.",
            "locations-0-h1_closes": "09:00",
            "locations-0-h2_opens": "half nine",
            "locations-0-h4_opens": "10:00",
            "locations-0-h5_notes": "Bring ID",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    items = [item["text"] for item in response.context["error_items"]]
    assert items == [
        "Location 1: On Tuesday the closing time must be after the opening time",
        "Location 1: Enter a time like 09:30 or 5pm",
        "Location 1: Enter the time it closes on Friday",
        "Location 1: Enter the opening times on Saturday, or clear the note",
    ]
    assert 'class="nhsuk-error-summary"' in page
    assert 'id="id_locations-0-h1_closes-error"' in page
    assert 'href="#id_locations-0-h1_closes"' in page
    for typed in ("Typed but not saved.", 'value="09:00"', 'value="half nine"', 'value="Bring ID"'):
        assert typed in page
    service.refresh_from_db()
    assert service.summary == "Before."
    assert hours(service) == [(1, "10:00", "12:00")]


def test_bad_service_fields_are_shown_by_their_fields(client, postcodes_io):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data.update(
        {
            "name": "",
            "minimum_age": "30",
            "maximum_age": "18",
            "postcode_districts": "LS6, Leeds",
            "referral_routes": ["named_teams"],
            "locations-0-postcode": "ZZ99 9ZZ",
            "links-0-kind": "used_alongside",
            "links-0-reference": "https://example.org/not-a-service/",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert [item["text"] for item in response.context["error_items"]] == [
        "Enter the name of the service",
        "The maximum age must be the same as or more than the minimum age",
        "Say which teams can refer",
        "LEEDS is not a postcode district. Enter the first part of a postcode, like LS6",
        "Location 1: We could not find the postcode ZZ99 9ZZ. Check it and try again.",
        "Link 1: Paste the address of the service's page, for example "
        "https://joinedup.example/services/<id>/",
    ]


def test_adding_a_location_looks_up_its_postcode_and_links_by_pasted_address(client, postcodes_io):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    target = make_service(OrganisationFactory(), name="Far Away Service", status="inactive")
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data.update(
        {
            "locations-1-name": "Headingley Library",
            "locations-1-postcode": "ls63br",
            "locations-1-h0_opens": "9",
            "locations-1-h0_closes": "5pm",
            "links-0-kind": "step_down_from",
            "links-0-reference": f"https://joinedup.example/services/{target.pk}/",
            "phones-0-number": "0113 496 0123",
            "contacts-0-title": "Duty team",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context["error_items"]
    snap = domain.service_snapshot(service)
    added = next(loc for loc in snap["locations"] if loc["name"] == "Headingley Library")
    assert added["postcode"] == "LS6 3BR"
    assert added["latitude"] == pytest.approx(53.8175, abs=0.01)
    assert added["schedules"] == [
        {"weekday": 0, "opens_at": "09:00", "closes_at": "17:00", "notes": ""}
    ]
    assert snap["links"] == [{"to_service": str(target.pk), "kind": "step_down_from", "note": ""}]
    assert [p["number"] for p in snap["phones"]] == ["0113 496 0123"]
    assert [c["title"] for c in snap["contacts"]] == ["Duty team"]


def test_removing_a_location(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data["locations-0-DELETE"] = "on"

    assert client.post(url, data).status_code == 302
    assert domain.service_snapshot(service)["locations"] == []


def test_new_service_page(client):
    organisation = OrganisationFactory(slug="leeds-mind")
    client.force_login(editor_of(organisation))

    page = client.get("/services/new/?organisation=leeds-mind")
    assert page.status_code == 200
    data = form_data(page)
    data.update(
        {
            "name": "Walk and Talk",
            "summary": "A weekly walk in Roundhay Park.",
            "description": "Meet at the cafe.",
            "taxonomy_terms": ["physical-activity", "peer-support"],
            "accepting_referrals": "yes",
        }
    )
    response = client.post("/services/new/?organisation=leeds-mind", data)

    service = Service.objects.get(name="Walk and Talk")
    assert response.status_code == 302
    assert service.organisation == organisation
    assert sorted(service.taxonomy_terms.values_list("code", flat=True)) == [
        "peer-support",
        "physical-activity",
    ]
    assert "services.service.created" in actions()


def test_unverified_editor_is_told_the_change_waits(client):
    organisation = unverified()
    service = bell_service(organisation, summary="Before.")
    client.force_login(editor_of(organisation))
    url = f"/services/{service.pk}/edit/"
    data = form_data(client.get(url))
    data["summary"] = "After."

    response = client.post(url, data, follow=True)

    change = ChangeRequest.objects.get()
    assert response.redirect_chain == [(f"/services/changes/{change.pk}/waiting/", 302)]
    assert "Your change is waiting for approval" in response.content.decode()
    service.refresh_from_db()
    assert service.summary == "Before."
    # Opening the form again shows the proposal, not the live record.
    again = client.get(url).content.decode()
    assert "A change is waiting for approval" in again
    assert 'value="After."' in again


def test_edit_page_refusals(client):
    a, b = OrganisationFactory(), OrganisationFactory()
    service_b = bell_service(b, summary="Before.")
    url = f"/services/{service_b.pk}/edit/"
    data = {"summary": "Hijacked."}

    response = client.get(url)  # anonymous
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(url, data).status_code == 302

    for someone in (editor_of(a), editor_of(b, role=Role.MEMBER)):
        client.force_login(someone)
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
        assert client.get(f"/services/new/?organisation={b.slug}").status_code == 403
    service_b.refresh_from_db()
    assert service_b.summary == "Before."
    assert client.get("/services/new/?organisation=no-such-organisation").status_code == 404


def test_edit_page_query_count_does_not_grow(client, django_assert_max_num_queries):
    organisation = OrganisationFactory()
    others = [make_service(OrganisationFactory(), name=f"Elsewhere {n}") for n in range(4)]
    small = domain.service_save(
        organisation=organisation,
        snapshot=hub_snapshot(name="Small", links=[(others[0].pk, "used_alongside", "")]),
    )
    big_snapshot = hub_snapshot(
        name="Big", links=[(other.pk, "while_you_wait", "") for other in others]
    )
    big_snapshot["locations"] += [
        {**big_snapshot["locations"][0], "name": f"Hall {n}"} for n in range(6)
    ]
    big_snapshot["contacts"] *= 4
    big_snapshot["phones"] *= 3
    big = domain.service_save(organisation=organisation, snapshot=big_snapshot)
    client.force_login(editor_of(organisation))
    client.get(f"/services/{small.pk}/edit/")  # warm the session

    with django_assert_max_num_queries(20) as small_queries:
        assert client.get(f"/services/{small.pk}/edit/").status_code == 200
    with django_assert_max_num_queries(len(small_queries)):
        assert client.get(f"/services/{big.pk}/edit/").status_code == 200


# --- Approval pages ------------------------------------------------------------------------------


def test_change_pages_for_an_approver(client, django_capture_on_commit_callbacks):
    _first_service, _editor, first = _pending_change(summary="First.")
    service, editor, change = _pending_change(summary="Second.")
    admin = approver()
    client.force_login(admin)

    listing = client.get("/services/changes/")
    assert listing.status_code == 200
    assert list(listing.context["changes"]) == [first, change]

    detail = client.get(f"/services/changes/{change.pk}/")
    assert detail.status_code == 200
    assert ("About the service", "One-line summary", "Before.", "Second.") in detail.context["rows"]
    assert f"10:00{D}13:00" in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/services/changes/{change.pk}/approve/")
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.summary == "Second."

    response = client.post(f"/services/changes/{first.pk}/decline/", {"reason": ""})
    assert response.status_code == 400
    assert "Say why the change is declined" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/services/changes/{first.pk}/decline/", {"reason": "Spelling."})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.reason) == (ChangeRequest.Status.DECLINED, "Spelling.")
    assert [m.to for m in mail.outbox] == [[editor.email], [_editor.email]]


def test_change_shows_the_diff_against_the_record_as_it_is_now(client):
    service, _editor, change = _pending_change(summary="Proposed.")
    # Meanwhile the organisation is verified and an editor changes the live record.
    Service.objects.filter(pk=service.pk).update(
        description="Changed meanwhile.", updated_at=timezone.now() + timedelta(seconds=1)
    )
    client.force_login(approver())

    response = client.get(f"/services/changes/{change.pk}/")

    rows = response.context["rows"]
    assert (
        "About the service",
        "Description",
        "Changed meanwhile.",
        change.proposed["fields"]["description"],
    ) in rows
    assert "The service changed after this was sent" in response.content.decode()


def test_change_pages_refuse_editors_and_send_admins_without_mfa_to_set_it_up(client):
    service, editor, change = _pending_change(summary="After.")
    urls = [
        "/services/changes/",
        f"/services/changes/{change.pk}/",
    ]
    posts = [f"/services/changes/{change.pk}/approve/", f"/services/changes/{change.pk}/decline/"]

    client.force_login(editor)
    assert [client.get(u).status_code for u in urls] == [403, 403]
    assert [client.post(u, {"reason": "x"}).status_code for u in posts] == [403, 403]

    client.force_login(UserFactory(is_platform_admin=True))
    response = client.get(urls[0])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    assert client.post(posts[0]).status_code == 302

    client.logout()
    assert client.get(urls[0])["Location"].startswith("/accounts/login/")
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
    service.refresh_from_db()
    assert service.summary == "Before."


def test_waiting_page_is_for_the_organisations_editors(client):
    _service, editor, change = _pending_change(summary="After.")
    url = f"/services/changes/{change.pk}/waiting/"
    client.force_login(editor)
    assert client.get(url).status_code == 200
    client.force_login(editor_of(OrganisationFactory()))
    assert client.get(url).status_code == 403


def test_change_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    _pending_change(summary="One.")
    client.force_login(approver())
    with django_assert_max_num_queries(12) as few:
        client.get("/services/changes/")
    for n in range(5):
        _pending_change(summary=f"More {n}.")
    with django_assert_max_num_queries(len(few)):
        client.get("/services/changes/")


# --- "Still correct" ------------------------------------------------------------------------


def test_still_correct_from_the_page(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    Service.objects.filter(pk=service.pk).update(assured_at=timezone.now() - timedelta(days=200))
    editor = editor_of(organisation)
    client.force_login(editor)

    assert client.get(f"/services/{service.pk}/assure/").status_code == 405
    response = client.post(f"/services/{service.pk}/assure/")

    assert response.status_code == 302
    assert response["Location"] == f"/services/{service.pk}/"
    service.refresh_from_db()
    assert timezone.now() - service.assured_at < timedelta(minutes=1)
    assert service.assured_by == editor
    entry = AuditEntry.objects.filter(action="services.service.assured").latest("id")
    assert entry.data == {"service": str(service.pk), "via": "page"}


def test_still_correct_refusals(client):
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    old = timezone.now() - timedelta(days=200)
    Service.objects.filter(pk=service.pk).update(assured_at=old)
    url = f"/services/{service.pk}/assure/"

    assert client.post(url)["Location"].startswith("/accounts/login/")
    for someone in (editor_of(organisation, role=Role.MEMBER), editor_of(OrganisationFactory())):
        client.force_login(someone)
        assert client.post(url).status_code == 403
    service.refresh_from_db()
    assert service.assured_at == old


def _linked_service():
    organisation = OrganisationFactory()
    service = bell_service(organisation)
    old = timezone.now() - timedelta(days=200)
    Service.objects.filter(pk=service.pk).update(assured_at=old)
    service.refresh_from_db()
    editor = editor_of(organisation)
    return service, editor, domain.assure_link_token(service=service, user_id=editor.pk)


def test_still_correct_from_an_email_link(client):
    service, editor, token = _linked_service()
    old = service.assured_at
    url = f"/services/{service.pk}/assure/{token}/"

    page = client.get(url)  # scanners follow links: a GET changes nothing
    assert page.status_code == 200
    assert "Yes, it is still correct" in page.content.decode()
    service.refresh_from_db()
    assert service.assured_at == old

    response = client.post(url)

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    service.refresh_from_db()
    assert timezone.now() - service.assured_at < timedelta(minutes=1)
    assert service.assured_by == editor  # the link's owner, though nobody signed in
    entry = AuditEntry.objects.filter(action="services.service.assured").latest("id")
    assert entry.actor is None
    assert entry.data == {
        "service": str(service.pk),
        "via": "email link",
        "link_sent_to": editor.pk,
    }

    # The same link cannot confirm again: it named the check it was sent about.
    checked = service.assured_at
    again = client.post(url)
    assert again.status_code == 200
    assert "has already been checked" in again.content.decode()
    service.refresh_from_db()
    assert service.assured_at == checked


def test_bad_email_links_change_nothing(client):
    service, editor, token = _linked_service()
    _other, _other_editor, other_token = _linked_service()
    old = service.assured_at
    with mock.patch("django.core.signing.time.time", return_value=time_ago(31)):
        expired = domain.assure_link_token(service=service, user_id=editor.pk)

    cases = {
        token[:-3] + ("abc" if not token.endswith("abc") else "xyz"): "This link does not work",
        other_token: "This link does not work",  # another service's link
        expired: "This link has expired",
    }
    for bad, message in cases.items():
        for method in (client.get, client.post):
            response = method(f"/services/{service.pk}/assure/{bad}/")
            assert response.status_code == 400
            assert message in response.content.decode()
    service.refresh_from_db()
    assert service.assured_at == old

    # A link stops working when its editor no longer edits for the organisation.
    editor.memberships.update(role=Role.MEMBER)
    response = client.post(f"/services/{service.pk}/assure/{token}/")
    assert response.status_code == 400
    service.refresh_from_db()
    assert service.assured_at == old


def time_ago(days: int) -> float:
    return (timezone.now() - timedelta(days=days)).timestamp()


def test_time_fields_accept_what_people_type():
    from services.forms_editing import TimeOfDayField

    field = TimeOfDayField()
    assert [
        field.clean(v)
        for v in ["9", "9am", "09:30", "9.30", "0930", "5pm", "5:45 pm", "12pm", "12am", "noon", ""]
    ] == [
        time(9),
        time(9),
        time(9, 30),
        time(9, 30),
        time(9, 30),
        time(17),
        time(17, 45),
        time(12),
        time(0),
        time(12),
        None,
    ]
    for bad in ["25:00", "13pm", "half nine", "9:75"]:
        with pytest.raises(forms.ValidationError):
            field.clean(bad)


def test_the_django_admin_cannot_delete_services_or_changes_unaudited(client):
    """Every change to the directory is audited: the admin shows services and changes
    read-only, so a superuser cannot delete one there either."""
    organisation = unverified()
    editor = editor_of(organisation)
    change = domain.service_submit(organisation=organisation, snapshot=snapshot(), actor=editor)
    service = bell_service(OrganisationFactory())
    superuser = UserFactory(is_staff=True, is_superuser=True, is_platform_admin=True)
    give_mfa(superuser)
    client.force_login(superuser)

    pages = [
        f"/admin/services/service/{service.pk}/delete/",
        f"/admin/services/changerequest/{change.pk}/delete/",
        "/admin/services/changerequest/add/",
    ]

    assert client.get(f"/admin/services/service/{service.pk}/change/").status_code == 200
    for url in pages:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url
    bulk = client.post(
        "/admin/services/service/",
        {"action": "delete_selected", "_selected_action": [str(service.pk)], "post": "yes"},
    )
    assert bulk.status_code == 200  # the list again: the delete action is not offered
    assert Service.objects.filter(pk=service.pk).exists()
    assert ChangeRequest.objects.filter(pk=change.pk).exists()
