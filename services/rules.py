"""Who may do what in the directory. The pages and the API ask the same questions."""

import rules

from accounts.rules import (
    POWERS,
    _roles_by_organisation,
    edited_organisation_ids,
    has_mfa,
    is_moderator,
    is_org_admin,
    is_org_editor,
    is_org_member,
    is_platform_admin,
)


@rules.predicate
def is_service_editor(user, service) -> bool:
    return service is not None and is_org_editor(user, service.organisation)


@rules.predicate
def is_staff_member(user) -> bool:
    """Works for an organisation in the area (any role): may keep shortlists."""
    if not user.is_authenticated:
        return False
    return bool(_roles_by_organisation(user)) or user.is_platform_admin or user.is_moderator


@rules.predicate
def is_directory_editor(user, organisation) -> bool:
    """Edits the organisation's entries; asked without an organisation, edits any organisation's."""
    if organisation is not None:
        return is_org_editor(user, organisation)
    return bool(edited_organisation_ids(user))


@rules.predicate
def is_reported_service_editor(user, report) -> bool:
    """Edits the organisation whose service a problem report is about."""
    return report is not None and is_org_editor(user, report.service.organisation)


# Moderators and platform admins are emailed every problem report and may see and resolve all of
# them, with two-step verification like their other powers.
sees_every_problem_report = (is_moderator | is_platform_admin) & has_mfa


# Editing: the organisation's editors and admins. Unverified organisations' changes wait for a
# platform admin (domain.service_submit decides), so no MFA is demanded to propose a change.
rules.add_perm("services.view_service", rules.always_allow)
rules.add_perm("services.add_service", is_org_editor)  # object: the organisation
rules.add_perm("services.change_service", is_service_editor)  # object: the service
rules.add_perm("services.assure_service", is_service_editor)
rules.add_perm("services.import_services", is_org_admin)  # object: the organisation
# A power: a platform admin without two-step verification is sent to set it up (accounts.access).
POWERS["services.approve_change"] = is_platform_admin
rules.add_perm("services.approve_change", is_platform_admin & has_mfa)
# Problem reports. Object: an organisation, or none for "may use the problem reports page".
POWERS["services.view_problem_reports"] = is_moderator | is_platform_admin
rules.add_perm("services.view_problem_reports", is_directory_editor | sees_every_problem_report)
# Object: the report.
POWERS["services.resolve_problem_report"] = is_moderator | is_platform_admin
rules.add_perm(
    "services.resolve_problem_report", is_reported_service_editor | sees_every_problem_report
)
rules.add_perm("services.use_shortlists", is_staff_member)
rules.add_perm("services.report_problem", rules.is_authenticated)

__all__ = [
    "is_directory_editor",
    "is_org_member",
    "is_reported_service_editor",
    "is_service_editor",
    "is_staff_member",
    "sees_every_problem_report",
]
