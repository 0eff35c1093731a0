"""Events, sessions and registrations (filled by the events issue)."""
