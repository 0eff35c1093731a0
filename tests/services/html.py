"""Reading the directory's pages in tests: the standard library's HTML parser, no extra package."""

import re
from html import unescape
from html.parser import HTMLParser


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self._option: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "select":
            self._select = attrs.get("id")
        if tag == "option":
            attrs["_select"] = self._select
        self.tags.append((tag, attrs))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def input_value(html: str, element_id: str) -> str | None:
    for tag, attrs in tags(html):
        if attrs.get("id") == element_id:
            return attrs.get("value")
    raise AssertionError(f"no element #{element_id}")


def checked(html: str, name: str) -> list[str]:
    """Values of the ticked checkboxes (or radios) called `name`."""
    return [
        attrs["value"]
        for tag, attrs in tags(html)
        if tag == "input" and attrs.get("name") == name and "checked" in attrs
    ]


def selected(html: str, select_id: str) -> list[str]:
    return [
        attrs.get("value", "")
        for tag, attrs in tags(html)
        if tag == "option" and attrs.get("_select") == select_id and "selected" in attrs
    ]


def option_values(html: str, select_id: str) -> list[str]:
    return [
        attrs.get("value", "")
        for tag, attrs in tags(html)
        if tag == "option" and attrs.get("_select") == select_id
    ]


def result_names(html: str) -> list[str]:
    """Service names in the results (or a shortlist), in order."""
    found = re.findall(r'<li class="jup-result">\s*<h3[^>]*><a href="[^"]+">([^<]+)</a>', html)
    return [unescape(name) for name in found]


def error_text(html: str, element_id: str) -> str:
    pattern = rf'<span class="nhsuk-error-message" id="{element_id}-error">(.*?)</span>$'
    match = re.search(pattern, html, re.M)
    if match is None:
        raise AssertionError(f"no error message for #{element_id}")
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def text(html: str) -> str:
    """The page as plain text with single spaces, for phrases that cross tags."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without)).split())
