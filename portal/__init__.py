"""Joined Up: the project package and site shell."""

from portal.celery_app import app as celery_app

__all__ = ["celery_app"]
