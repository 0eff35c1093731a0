"""Decisions and safeguarding case entries are append-only in the database itself; seed the
topical tags.

UPDATE and DELETE are refused, except clearing actor_id when that person's account is erased
(Django's on_delete=SET_NULL), which changes nothing else.
"""

from django.db import migrations

TABLES = ["stories_decision", "stories_caseentry"]

FORWARD = """
CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{table} is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_append_only();
"""

TAGS = [
    ("housing", "Housing"),
    ("money", "Money and benefits"),
    ("work", "Work and volunteering"),
    ("learning", "Learning"),
    ("creativity", "Creativity and the arts"),
    ("physical-activity", "Physical activity"),
    ("peer-support", "Peer support"),
    ("talking-therapy", "Talking therapy"),
    ("medication", "Medication"),
    ("hospital", "Hospital"),
    ("family", "Family and friends"),
    ("caring", "Caring for someone"),
    ("substance-use", "Alcohol and drugs"),
    ("getting-online", "Getting online"),
    ("loneliness", "Loneliness"),
    ("sleep", "Sleep"),
]


def seed_tags(apps, schema_editor):
    Tag = apps.get_model("stories", "Tag")
    for slug, name in TAGS:
        Tag.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("stories", "0001_initial")]
    operations = [
        *(migrations.RunSQL(FORWARD.format(table=t), BACKWARD.format(table=t)) for t in TABLES),
        migrations.RunPython(seed_tags, migrations.RunPython.noop),
    ]
