"""/api/v1/: one router for every app's viewsets."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from events.api import EventViewSet, MyRegistrationViewSet
from services.api import ServiceViewSet, TaxonomyTermViewSet
from stories.api import StoryViewSet

router = DefaultRouter()
router.register("services", ServiceViewSet, basename="service")
router.register("taxonomy-terms", TaxonomyTermViewSet, basename="taxonomy-term")
router.register("events", EventViewSet, basename="event")
router.register("my-registrations", MyRegistrationViewSet, basename="my-registration")
router.register("stories", StoryViewSet, basename="story")

urlpatterns = [path("", include(router.urls))]
