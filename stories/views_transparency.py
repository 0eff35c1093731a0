"""The public transparency page: what moderation decided, in numbers. Thin: the figures come
from `stories.transparency` (cached for ten minutes)."""

from django.shortcuts import render

from stories import transparency


def page(request):
    figures = transparency.cached_figures()
    return render(
        request,
        "stories/transparency.html",
        {
            "section": "stories",
            "figures": figures,
            "cache_minutes": transparency.CACHE_SECONDS // 60,
        },
    )
