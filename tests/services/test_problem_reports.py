"""Problem reports on directory entries: the list at /services/problems/, "Mark as dealt with",
who may do either, and the email's link to the list."""

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import rules
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import AuditEntry, Role
from services.models import ProblemReport
from services.reports import problem_report_resolve
from services.tasks import task_notify_problem_report
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory, give_mfa
from tests.factories.services import ServiceFactory, editor_of
from tests.factories.stories import moderator

pytestmark = pytest.mark.django_db

URL = "/services/problems/"
LONDON = ZoneInfo("Europe/London")


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=LONDON)


def _report(service, *, reason="closed", details="", day=1, reporter=None, **fields):
    return ProblemReport.objects.create(
        service=service,
        reason=reason,
        details=details,
        reported_by=reporter or UserFactory(email=f"reporter.{day}@example.org"),
        created_at=_at(day),
        **fields,
    )


def _platform_admin(*, mfa=True):
    user = UserFactory(is_platform_admin=True)
    if mfa:
        give_mfa(user)
    return user


def _rows(html: str) -> list[list[str]]:
    """The problems table's body as plain text, one list of cells per row."""
    body = re.search(r'<tbody class="nhsuk-table__body">(.*?)</tbody>', html, re.S)
    if body is None:
        return []
    rows = []
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


def _open_page(client, user=None, query=""):
    if user is not None:
        client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def directory():
    """Two organisations with a service each, an outsider organisation, and open reports."""
    mind = OrganisationFactory(name="Eastbrook Mind")
    advice = OrganisationFactory(name="Northfield Advice")
    other = OrganisationFactory(name="Southside Arts")
    debt = ServiceFactory(organisation=mind, name="Eastbrook Debt Advice")
    walk = ServiceFactory(organisation=advice, name="Walk and Talk")
    paint = ServiceFactory(organisation=other, name="Paint Together")
    return {
        "mind": mind,
        "advice": advice,
        "other": other,
        "debt": debt,
        "walk": walk,
        "paint": paint,
        "debt_phone": _report(
            debt, reason="wrong_contact", details="The phone number rings out.", day=3
        ),
        "walk_closed": _report(walk, reason="closed", day=5),
        "paint_other": _report(paint, reason="other", details="Moved to the library.", day=4),
    }


# --- Who may see the page ------------------------------------------------------------------------


def test_problems_page_sends_anonymous_people_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/services/problems/"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FACILITATOR])
def test_problems_page_refuses_people_who_edit_no_directory_entries(client, role):
    client.force_login(MembershipFactory(role=role).user)

    assert client.get(URL).status_code == 403
    assert client.get(URL + "?show=resolved").status_code == 403


def test_problems_page_refuses_someone_in_no_organisation(client):
    client.force_login(UserFactory())

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("make", [lambda: moderator(mfa=False), lambda: _platform_admin(mfa=False)])
def test_problems_page_sends_moderators_without_two_step_verification_to_set_it_up(client, make):
    client.force_login(make())

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fservices%2Fproblems%2F"


def test_view_problem_reports_rule_per_organisation_and_for_the_page():
    mind, other = OrganisationFactory(), OrganisationFactory()
    editor = editor_of(mind)
    admin = editor_of(mind, Role.ADMIN)
    member = editor_of(mind, Role.MEMBER)
    perm = "services.view_problem_reports"

    assert [rules.has_perm(perm, u, mind) for u in (editor, admin, member)] == [True, True, False]
    assert [rules.has_perm(perm, u, other) for u in (editor, admin, member)] == [False] * 3
    assert [rules.has_perm(perm, u) for u in (editor, admin, member)] == [True, True, False]
    for staff in (moderator(), _platform_admin()):
        assert (rules.has_perm(perm, staff, other), rules.has_perm(perm, staff)) == (True, True)
    for staff in (moderator(mfa=False), _platform_admin(mfa=False)):
        assert (rules.has_perm(perm, staff, other), rules.has_perm(perm, staff)) == (False, False)


# --- What the page lists -------------------------------------------------------------------------


def test_editor_sees_the_open_reports_on_their_organisations_services_newest_first(
    client, directory
):
    editor = editor_of(directory["mind"])
    MembershipFactory(user=editor, organisation=directory["advice"], role=Role.ADMIN)
    MembershipFactory(user=editor, organisation=directory["other"], role=Role.MEMBER)
    _report(directory["debt"], reason="closed", day=6, resolved_at=_at(7), resolved_by=editor)

    html = _open_page(client, editor)

    rows = _rows(html)
    assert [row[:3] for row in rows] == [
        ["Walk and Talk Northfield Advice", "The service has closed", "5 March 2025"],
        [
            "Eastbrook Debt Advice Eastbrook Mind",
            "Contact details are wrong The phone number rings out.",
            "3 March 2025",
        ],
    ]
    assert f'href="/services/{directory["walk"].pk}/"' in html
    assert f'href="/services/{directory["debt"].pk}/"' in html
    assert "Paint Together" not in html
    assert html.count("Mark as dealt with") == 2
    assert "reporter." not in html


@pytest.mark.parametrize("make", [moderator, _platform_admin])
def test_moderators_and_platform_admins_see_every_open_report(client, directory, make):
    html = _open_page(client, make())

    assert [row[0] for row in _rows(html)] == [
        "Walk and Talk Northfield Advice",
        "Paint Together Southside Arts",
        "Eastbrook Debt Advice Eastbrook Mind",
    ]
    assert "reporter." not in html


def test_moderator_without_mfa_who_edits_an_organisation_sees_only_its_reports(client, directory):
    user = moderator(mfa=False)
    MembershipFactory(user=user, organisation=directory["advice"], role=Role.EDITOR)

    assert [row[0] for row in _rows(_open_page(client, user))] == [
        "Walk and Talk Northfield Advice"
    ]


def test_editor_with_no_open_reports_is_told_so(client, directory):
    html = _open_page(client, editor_of(OrganisationFactory()))

    assert _rows(html) == []
    assert '<p id="no-problems">No problems are open.</p>' in html


def test_resolved_tab_says_which_organisation_or_the_moderators_dealt_with_each(client, directory):
    editor = editor_of(directory["mind"], Role.ADMIN)
    editor.email = "ed.itor@example.org"
    editor.save()
    mod = moderator(email="mod.erator@example.org")
    gone = editor_of(directory["advice"])
    directory["debt_phone"].resolved_at, directory["debt_phone"].resolved_by = _at(8), editor
    directory["debt_phone"].save()
    directory["paint_other"].resolved_at, directory["paint_other"].resolved_by = _at(9), mod
    directory["paint_other"].save()
    directory["walk_closed"].resolved_at, directory["walk_closed"].resolved_by = _at(6), gone
    directory["walk_closed"].save()
    gone.delete()

    html = _open_page(client, moderator(), "?show=resolved")

    assert _rows(html) == [
        [
            "Paint Together Southside Arts",
            "Something else Moved to the library.",
            "4 March 2025",
            "By Joined Up moderators on 9 March 2025",
        ],
        [
            "Eastbrook Debt Advice Eastbrook Mind",
            "Contact details are wrong The phone number rings out.",
            "3 March 2025",
            "By Eastbrook Mind on 8 March 2025",
        ],
        [
            "Walk and Talk Northfield Advice",
            "The service has closed",
            "5 March 2025",
            "By an account that no longer exists on 6 March 2025",
        ],
    ]
    assert "Mark as dealt with" not in html
    assert "ed.itor" not in html and "mod.erator" not in html and "reporter." not in html
    # And the open tab is empty now.
    assert _rows(_open_page(client, query="")) == []


def test_resolved_tab_shows_an_editor_only_their_organisations_reports(client, directory):
    mod = moderator()
    for key in ("debt_phone", "paint_other"):
        directory[key].resolved_at, directory[key].resolved_by = _at(8), mod
        directory[key].save()

    html = _open_page(client, editor_of(directory["mind"]), "?show=resolved")

    assert [row[0] for row in _rows(html)] == ["Eastbrook Debt Advice Eastbrook Mind"]


def test_problems_are_shown_twenty_to_a_page(client):
    service = ServiceFactory(name="Busy service")
    for day in range(1, 26):
        _report(service, day=day, reporter=UserFactory())
    client.force_login(editor_of(service.organisation))

    first = _rows(_open_page(client, query=""))
    second = _rows(_open_page(client, query="?page=2"))

    assert [row[2] for row in first] == [f"{day} March 2025" for day in range(25, 5, -1)]
    assert [row[2] for row in second] == [f"{day} March 2025" for day in range(5, 0, -1)]


@pytest.mark.parametrize("resolved", [False, True])
@pytest.mark.parametrize("who", ["editor", "moderator"])
def test_problems_page_query_count_does_not_grow(client, django_assert_num_queries, resolved, who):
    organisation = OrganisationFactory()
    user = editor_of(organisation) if who == "editor" else moderator()
    resolver = moderator()
    query = "?show=resolved" if resolved else ""

    def add_reports(count):
        for _ in range(count):
            service = ServiceFactory(organisation=organisation)
            _report(
                service,
                reporter=resolver,
                resolved_at=_at(9) if resolved else None,
                resolved_by=resolver if resolved else None,
            )

    add_reports(2)
    client.force_login(user)
    client.get(URL)  # the first request puts the session in the cache
    # The user, their roles (and for a moderator, two-step verification), count, one page.
    queries = 5 if who == "moderator" else 4
    with django_assert_num_queries(queries):
        assert len(_rows(_open_page(client, query=query))) == 2
    add_reports(23)
    with django_assert_num_queries(queries):
        assert len(_rows(_open_page(client, query=query))) == 20


# --- Mark as dealt with --------------------------------------------------------------------------


def _resolve_url(report):
    return f"/services/problems/{report.pk}/resolve/"


def test_editor_marks_a_problem_as_dealt_with(client, directory):
    report = directory["debt_phone"]
    editor = editor_of(directory["mind"])
    client.force_login(editor)

    response = client.post(_resolve_url(report), {"next": "/services/problems/?page=1"})

    assert response.status_code == 302
    assert response["Location"] == "/services/problems/?page=1"
    report.refresh_from_db()
    assert report.resolved_by == editor and report.resolved_at is not None
    entry = AuditEntry.objects.get(action="services.problem_report.resolved")
    assert (entry.actor, entry.organisation) == (editor, directory["mind"])
    assert entry.data == {
        "service": str(directory["debt"].pk),
        "report": str(report.pk),
        "reason": "wrong_contact",
    }
    html = client.get(response["Location"]).content.decode()
    assert "The problem with Eastbrook Debt Advice is marked as dealt with." in html
    assert [row[0] for row in _rows(html)] == []


def test_moderator_marks_any_problem_as_dealt_with(client, directory):
    mod = moderator()
    client.force_login(mod)

    response = client.post(_resolve_url(directory["paint_other"]))

    assert (response.status_code, response["Location"]) == (302, "/services/problems/")
    directory["paint_other"].refresh_from_db()
    assert directory["paint_other"].resolved_by == mod


def test_marking_a_problem_already_dealt_with_changes_nothing_and_says_so(client, directory):
    report = directory["walk_closed"]
    first, second = editor_of(directory["advice"]), moderator()
    client.force_login(first)
    client.post(_resolve_url(report))
    report.refresh_from_db()
    resolved_at = report.resolved_at
    client.force_login(second)

    response = client.post(_resolve_url(report), follow=True)

    assert response.status_code == 200
    assert "This problem had already been dealt with." in response.content.decode()
    report.refresh_from_db()
    assert (report.resolved_at, report.resolved_by) == (resolved_at, first)
    assert AuditEntry.objects.filter(action="services.problem_report.resolved").count() == 1


def test_marking_as_dealt_with_is_refused_to_anyone_who_cannot_see_the_report(client, directory):
    report = directory["debt_phone"]
    refused = [
        editor_of(directory["advice"]),  # another organisation's editor
        editor_of(directory["mind"], Role.MEMBER),
        editor_of(directory["mind"], Role.FACILITATOR),
        UserFactory(),
    ]
    for user in refused:
        client.force_login(user)
        assert client.post(_resolve_url(report)).status_code == 403

    client.logout()
    response = client.post(_resolve_url(report))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")

    client.force_login(moderator(mfa=False))
    response = client.post(_resolve_url(report))
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")

    report.refresh_from_db()
    assert (report.resolved_at, report.resolved_by) == (None, None)
    assert not AuditEntry.objects.filter(action="services.problem_report.resolved").exists()


def test_marking_as_dealt_with_only_answers_post(client, directory):
    client.force_login(editor_of(directory["mind"]))

    assert client.get(_resolve_url(directory["debt_phone"])).status_code == 405
    client.logout()
    assert client.get(_resolve_url(directory["debt_phone"])).status_code == 405


def test_marking_as_dealt_with_needs_the_csrf_token(directory):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor_of(directory["mind"]))

    response = client.post(_resolve_url(directory["debt_phone"]))

    assert response.status_code == 403
    directory["debt_phone"].refresh_from_db()
    assert directory["debt_phone"].resolved_at is None


def test_marking_an_unknown_report_is_404(client, directory):
    client.force_login(moderator())

    response = client.post("/services/problems/6f1d0a4e-1a44-4f0e-9a9e-000000000000/resolve/")

    assert response.status_code == 404


def test_marking_as_dealt_with_never_redirects_off_the_site(client, directory):
    client.force_login(editor_of(directory["mind"]))

    response = client.post(
        _resolve_url(directory["debt_phone"]), {"next": "https://evil.example/services/problems/"}
    )

    assert response["Location"] == "/services/problems/"


def test_problem_report_resolve_refuses_and_rejects_a_second_time(directory):
    report = directory["paint_other"]
    with pytest.raises(PermissionDenied):
        problem_report_resolve(report=report, by=editor_of(directory["mind"]))

    editor = editor_of(directory["other"])
    resolved = problem_report_resolve(report=report, by=editor)

    assert resolved.resolved_by == editor
    with pytest.raises(ValidationError) as error:
        problem_report_resolve(report=report, by=moderator())
    assert error.value.messages == ["This problem had already been dealt with."]


def test_problem_report_resolve_writes_no_free_text_to_the_audit_log(directory):
    report = directory["paint_other"]

    problem_report_resolve(report=report, by=moderator())

    entry = AuditEntry.objects.get(action="services.problem_report.resolved")
    assert "Moved to the library" not in str(entry.data)
    assert entry.data == {
        "service": str(directory["paint"].pk),
        "report": str(report.pk),
        "reason": "other",
    }


# --- Where people find the page ------------------------------------------------------------------


def test_email_about_a_problem_links_to_the_list_of_problems(directory, settings):
    settings.SITE_URL = "https://joinedup.example"
    editor_of(directory["mind"])

    sent = task_notify_problem_report(str(directory["debt_phone"].pk))

    assert sent == 1
    [message] = mail.outbox
    assert f"See the entry: https://joinedup.example/services/{directory['debt'].pk}/" in (
        message.body
    )
    assert (
        "See the problems reported, and mark this one as dealt with: "
        "https://joinedup.example/services/problems/\n"
    ) in message.body


def test_account_page_links_to_problems_only_for_those_who_may_see_them(client):
    link = '<a href="/services/problems/">Problems reported with directory entries</a>'
    for user, shown in [
        (editor_of(), True),
        (editor_of(role=Role.ADMIN), True),
        (moderator(), True),
        (_platform_admin(), True),
        (editor_of(role=Role.MEMBER), False),
        (moderator(mfa=False), False),
        (UserFactory(), False),
    ]:
        client.force_login(user)
        html = client.get("/my-account/").content.decode()
        assert (link in html) is shown, user


def test_problem_dates_are_the_day_in_the_uk(client):
    # Half past midnight in British Summer Time is still the evening before in UTC.
    service = ServiceFactory(name="Late")
    _report(service, day=1)
    ProblemReport.objects.update(created_at=datetime(2025, 7, 2, 0, 30, tzinfo=LONDON))
    client.force_login(editor_of(service.organisation))

    assert _rows(_open_page(client))[0][2] == "2 July 2025"
