from django.db import migrations


def seed_taxonomy(apps, schema_editor):
    from services import taxonomy

    taxonomy.seed(
        apps.get_model("services", "Taxonomy"), apps.get_model("services", "TaxonomyTerm")
    )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]

    operations = [migrations.RunPython(seed_taxonomy, migrations.RunPython.noop)]
