"""NHS.UK frontend markup for form fields: label, hint, error by the field, an error summary."""

from django import forms, template

register = template.Library()

_INPUT_CLASS = {
    forms.Textarea: "nhsuk-textarea",
    forms.Select: "nhsuk-select",
    forms.CheckboxInput: "nhsuk-checkboxes__input",
}


def _widget_class(widget) -> str:
    for widget_type, css in _INPUT_CLASS.items():
        if isinstance(widget, widget_type):
            return css
    return "nhsuk-input"


@register.inclusion_tag("includes/field.html")
def field(bound_field, hint=None, autocomplete=None, width=None):
    """Render one field the NHS.UK way; errors sit next to it and what was typed stays."""
    widget = bound_field.field.widget
    css = _widget_class(widget)
    if width and css == "nhsuk-input":
        css += f" nhsuk-input--width-{width}"
    if bound_field.errors:
        css += {
            "nhsuk-input": " nhsuk-input--error",
            "nhsuk-textarea": " nhsuk-textarea--error",
            "nhsuk-select": " nhsuk-select--error",
        }.get(css.split()[0], "")
    hint = hint if hint is not None else bound_field.help_text
    described = []
    if hint:
        described.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}-error")
    attrs = {"class": css}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return {
        "field": bound_field,
        "widget_html": bound_field.as_widget(attrs=attrs),
        "hint": hint,
        "is_checkbox": isinstance(widget, forms.CheckboxInput),
    }


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_):
    """A summary at the top of the page linking to each field with a problem."""
    items = []
    for form in forms_:
        if form is None or not form.errors:
            continue
        for error in form.non_field_errors():
            items.append({"text": error, "href": None})
        for bound_field in form:
            for error in bound_field.errors:
                items.append({"text": error, "href": f"#{bound_field.auto_id}"})
    return {"items": items}


@register.inclusion_tag("includes/pagination.html")
def pagination(page, query=""):
    """NHS.UK numbered pagination: first, last, and two either side of the current page, with
    gaps. `query` is the rest of the query string, kept on every link."""
    page_numbers, last = [], 0
    if page is not None:
        count, current = page.paginator.num_pages, page.number
        wanted = {1, count, *range(current - 2, current + 3)}
        for n in sorted(n for n in wanted if 1 <= n <= count):
            if n - last > 1:
                page_numbers.append(None)
            page_numbers.append(n)
            last = n
    return {"page": page, "page_numbers": page_numbers, "query": query}
