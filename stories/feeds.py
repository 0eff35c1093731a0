"""An Atom feed of the latest published stories: title, link, pseudonym, date and a short
summary. A story with content notes gives only its notes, never a piece of its text. Nothing
about the author but the pseudonym: no email, name or user id."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from stories import queries


class LatestStoriesFeed(Feed):
    feed_type = Atom1Feed
    title = "Joined Up: recovery stories"
    link = reverse_lazy("stories:index")
    feed_url = reverse_lazy("stories:feed")
    subtitle = "Recovery stories shared under a pseudonym, each read by a person before it appears."

    def items(self):
        return queries.feed_stories()

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"urn:uuid:{item.pk}"

    item_guid_is_permalink = False

    def item_author_name(self, item):
        return item.byline

    def item_author_email(self, item):
        return None

    def item_author_link(self, item):
        return None

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_categories(self, item):
        return item.theme_names

    def item_description(self, item):
        if item.content_notes:
            return f"{item.note_text}. Open the story to read it."
        return item.summary
