"""The joined-up service directory (filled by the directory issue)."""
