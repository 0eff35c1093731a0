"""Showing the domain's refusal on the form that asked for the change."""

from django.core.exceptions import ValidationError


def add_domain_errors(form, error: ValidationError, default_field: str | None = None) -> None:
    """Each of the domain's messages by the field it names, else by `default_field` (None: at
    the top of the form). What was typed stays in the bound form: nothing is lost."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else default_field, errors)
    else:
        form.add_error(default_field, error)
