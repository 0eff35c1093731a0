"""The crisis support lines every page shows, checked on the date below."""

import datetime

from django.db import migrations

LINES = [
    ("Samaritans", "Call 116 123", "tel:116123", "Free, any time, day or night.", 1),
    (
        "Shout",
        "Text SHOUT to 85258",
        "sms:85258&body=SHOUT",
        "Free, confidential, 24/7 text support.",
        2,
    ),
    (
        "NHS 111",
        "Call 111 and choose the mental health option",
        "tel:111",
        "For urgent help with your mental health.",
        3,
    ),
]


def add_lines(apps, schema_editor):
    SupportLine = apps.get_model("portal", "SupportLine")
    for name, how, href, description, position in LINES:
        SupportLine.objects.get_or_create(
            name=name,
            defaults={
                "how": how,
                "href": href,
                "description": description,
                "position": position,
                "last_checked": datetime.date(2026, 11, 23),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(add_lines, migrations.RunPython.noop)]
