"""Thin Celery tasks for the directory: they take ids and call domain code."""
