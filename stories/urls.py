"""Public and authors' pages under /stories/ (namespace "stories")."""

from stories import urls_reading, urls_transparency, urls_writing

app_name = "stories"
urlpatterns = [*urls_reading.urlpatterns, *urls_writing.urlpatterns, *urls_transparency.urlpatterns]
