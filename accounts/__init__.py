"""People and organisations: users, profiles, organisations, memberships, invitations, audit log."""
