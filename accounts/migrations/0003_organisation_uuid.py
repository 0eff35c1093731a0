import uuid

from django.db import migrations, models


def give_uuids(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    for organisation in Organisation.objects.filter(uuid__isnull=True):
        organisation.uuid = uuid.uuid4()
        organisation.save(update_fields=["uuid"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auditentry_append_only")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
