"""Site-wide test data."""

from importlib import import_module

from django.apps import apps


def restore_seed_data() -> None:
    """Put back what the data migrations made: the crisis lines, the recovery taxonomy
    and the story tags.

    Transactional tests (browser, real worker) commit for real and the database is emptied
    after each; Django's serialized rollback cannot help here, because Playwright's greenlets
    give the test a different database connection object from the one set up with the data.
    """
    from services import taxonomy
    from services.models import Taxonomy, TaxonomyTerm

    import_module("portal.migrations.0002_support_lines").add_lines(apps, None)
    taxonomy.seed(Taxonomy, TaxonomyTerm)
    import_module("stories.migrations.0002_append_only_and_tags").seed_tags(apps, None)
