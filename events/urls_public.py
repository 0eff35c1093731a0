from django.urls import path, register_converter

from events import views


class TwoDigitMonth:
    regex = "[0-9]{2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


class FourDigitYear:
    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


register_converter(TwoDigitMonth, "event_mm")
register_converter(FourDigitYear, "event_yyyy")

urlpatterns = [
    path("", views.index, name="index"),
    path("month/<event_yyyy:year>/<event_mm:month>/", views.month, name="month"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/event.ics", views.event_ics, name="event_ics"),
    path("organisations/<slug:slug>/events.ics", views.organisation_feed, name="organisation_feed"),
    path("feed/", views.feed_page, name="feed"),
    path("feed/reset/", views.feed_reset, name="feed_reset"),
    path("feed/<str:token>.ics", views.personal_feed, name="personal_feed"),
]
