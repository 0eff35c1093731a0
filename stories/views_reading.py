"""What readers see and do: the list of published stories, a story's page, reporting a story,
and an organisation's response. Thin: reads from `stories.queries`, writes through
`stories.domain`, permissions from `stories.rules`."""

import rules
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import refuse_unless
from accounts.models import Organisation
from portal.signposting import support_lines
from stories import domain, queries
from stories.form_errors import add_domain_errors
from stories.forms_reading import ReportForm, ResponseForm, StoryFilterForm
from stories.models import State
from stories.rules import is_story_author, responding_organisations

FILTER_NAMES = ("q", "theme", "tag", "hide")


def _filter_query(data) -> str:
    """The filters as a query string, without the page number (kept on pagination links)."""
    query = data.copy()
    for key in list(query.keys()):
        if key not in FILTER_NAMES:
            del query[key]
    return query.urlencode()


# --- The list -----------------------------------------------------------------------------------


def index(request):
    """Published stories, newest first, 20 a page. A GET form: a search can be bookmarked."""
    tags = queries.tags()
    form = StoryFilterForm(request.GET, tags=[(t["slug"], t["name"]) for t in tags])
    page = None
    if form.is_valid():
        data = form.cleaned_data
        tag_ids = {t["slug"]: t["id"] for t in tags}
        stories = queries.stories_list(
            text=data["q"],
            themes=data["theme"],
            tag_id=tag_ids.get(data["tag"]),
            hide_notes=data["hide"],
        )
        paginator = queries.StoryPaginator(stories)
        page = paginator.get_page(request.GET.get("page"))
    filters_used = any(request.GET.get(name) for name in FILTER_NAMES)
    return render(
        request,
        "stories/reading/index.html",
        {
            "section": "stories",
            "filters": form,
            "page": page,
            "query": _filter_query(request.GET),
            "filters_used": filters_used,
        },
    )


# --- One story ----------------------------------------------------------------------------------


def _visible_story(request, pk, load=queries.story_for_page):
    """The story if this person may see it (`stories.view_story`): anything not published is a
    404 to all but its author and moderators; a draft is a 404 to all but its author."""
    story = load(pk)
    if story is None or not rules.has_perm("stories.view_story", request.user, story):
        raise Http404("No such story.")
    return story


def detail(request, pk):
    story = _visible_story(request, pk)
    user = request.user
    published = story.state == State.PUBLISHED
    can_report = rules.has_perm("stories.report", user, story)
    can_respond = rules.has_perm("stories.respond", user, story)
    respond_as = ""
    if can_respond:
        names = Organisation.objects.filter(pk__in=responding_organisations(user, story))
        respond_as = queries.or_list(list(names.order_by("name").values_list("name", flat=True)))
    return render(
        request,
        "stories/reading/detail.html",
        {
            "section": "stories",
            "story": story,
            "published": published,
            "is_author": is_story_author(user, story),
            "state_label": State(story.state).label,
            "responses": queries.public_responses(story),
            "can_report": can_report,
            "has_reported": can_report and queries.has_reported(story, user),
            "can_respond": can_respond,
            "respond_as": respond_as,
            "support": support_lines(),
        },
    )


# --- Reporting a story --------------------------------------------------------------------------


def _story_for_action(request, pk):
    return _visible_story(request, pk, load=queries.story_for_action)


def report(request, pk):
    story = _story_for_action(request, pk)
    refusal = refuse_unless(request, "stories.report", story)
    if refusal is not None:
        return refusal
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.report_create(
                story=story,
                by=request.user,
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_domain_errors(form, error, "category")
        else:
            return redirect("stories:report_thanks", pk=story.pk)
    return render(
        request,
        "stories/reading/report.html",
        {
            "section": "stories",
            "story": queries.decorate(story),
            "form": form,
            "has_reported": request.method == "GET" and queries.has_reported(story, request.user),
        },
    )


def report_thanks(request, pk):
    """What happens next. The story may be hidden by now, so this page does not show it unless
    it is still public."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    story = queries.story_for_action(pk)
    if story is None or not queries.has_reported(story, request.user):
        raise Http404("No such report.")
    return render(
        request,
        "stories/reading/report_thanks.html",
        {"section": "stories", "story": story, "still_public": story.state == State.PUBLISHED},
    )


# --- An organisation's response -----------------------------------------------------------------


def respond(request, pk):
    story = _story_for_action(request, pk)
    refusal = refuse_unless(request, "stories.respond", story)
    if refusal is not None:
        return refusal
    organisations = list(
        Organisation.objects.filter(pk__in=responding_organisations(request.user, story))
        .only("id", "name", "slug")
        .order_by("name")
    )
    form = ResponseForm(
        request.POST if request.method == "POST" else None, organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        try:  # sent twice (a double click), the domain keeps one response
            domain.response_create(
                story=story,
                by=request.user,
                organisation=form.cleaned_data["organisation"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            add_domain_errors(form, error, "body")
        else:
            return redirect("stories:respond_sent", pk=story.pk)
    return render(
        request,
        "stories/reading/respond.html",
        {
            "section": "stories",
            "story": queries.decorate(story),
            "form": form,
            "organisations": organisations,
        },
    )


def respond_sent(request, pk):
    story = _story_for_action(request, pk)
    refusal = refuse_unless(request, "stories.respond", story)
    if refusal is not None:
        return refusal
    return render(
        request, "stories/reading/respond_sent.html", {"section": "stories", "story": story}
    )
