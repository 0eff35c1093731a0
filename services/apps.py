from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_save

        from accounts import personal_data
        from accounts.models import Organisation
        from services import personal_data as directory_data

        personal_data.register(
            "directory", export=directory_data.export, erase=directory_data.erase
        )
        post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="services-org")
        connection_created.connect(_set_trigram_threshold, dispatch_uid="services-trgm")


def _organisation_saved(sender, instance, created, **kwargs):
    """An organisation's name is part of its services' search document."""
    if not created:
        from services.domain import refresh_search

        refresh_search(organisation_id=instance.pk)


def _set_trigram_threshold(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        from services.queries import WORD_SIMILARITY_THRESHOLD

        with connection.cursor() as cursor:
            cursor.execute(
                "SET pg_trgm.word_similarity_threshold = %s", [WORD_SIMILARITY_THRESHOLD]
            )
