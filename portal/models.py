"""Site-wide data: the crisis support lines shown on every page."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

SIGNPOST_STALE_AFTER = timedelta(days=90)


class SupportLine(models.Model):
    """A crisis support service in "Get help now". At most three are shown at once."""

    name = models.CharField(max_length=80)
    how = models.CharField(max_length=160, help_text='For example: "Call 116 123 (free, any time)"')
    href = models.CharField(max_length=80, blank=True, help_text="A tel: or sms: link.")
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    last_checked = models.DateField(help_text="When someone last checked these details are right.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def is_stale(self) -> bool:
        return timezone.localdate() - self.last_checked > SIGNPOST_STALE_AFTER
