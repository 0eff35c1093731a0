from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"

    def ready(self):
        from accounts import personal_data
        from stories import personal_data as stories_data

        personal_data.register(
            "stories",
            export=stories_data.export,
            erase=stories_data.erase,
            question=stories_data.question,
        )
