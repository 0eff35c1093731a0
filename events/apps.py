from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from accounts import personal_data
        from events import personal_data as events_data

        personal_data.register("events", export=events_data.export, erase=events_data.erase)
