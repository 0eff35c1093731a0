"""Recovery stories and their moderation (filled by the stories issue)."""
