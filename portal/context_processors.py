"""Template context for every page: the site's name and the crisis support lines."""

from portal.signposting import support_lines


def site(request):
    lines = support_lines()
    return {
        "support_lines": lines,
        "support_checked": min((line["last_checked"] for line in lines), default=None),
    }
