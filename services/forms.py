"""Forms for the directory's staff pages. Business rules live in domain modules; these parse."""

from django import forms
from django.http import QueryDict

from services import postcodes
from services.models import ProblemReport, Shortlist, TaxonomyTerm
from services.presentation import miles_to_km
from services.queries import SORTS, Origin

WITHIN_MILES = [1, 3, 5, 10, 25]
DEFAULT_WITHIN = 10
# The ServiceFilter fields the search page shows; ORUK-only parameters are not taken from it.
STAFF_FILTERS = [
    "category",
    "organisation",
    "sector",
    "area",
    "referral",
    "free",
    "language",
    "accessibility",
    "open_on",
]


class SearchForm(forms.Form):
    """Words, postcode, distance and order. Filters are the ServiceFilter's own form."""

    q = forms.CharField(
        label="Search for a service",
        required=False,
        max_length=200,
        help_text="For example, a service's name, “debt advice” or “hearing voices”.",
    )
    postcode = forms.CharField(label="Postcode", required=False, max_length=20)
    within = forms.TypedChoiceField(
        label="Within",
        choices=[(str(m), f"{m} mile" if m == 1 else f"{m} miles") for m in WITHIN_MILES],
        coerce=int,
    )
    sort = forms.ChoiceField(label="Sort by", choices=list(SORTS.items()))

    def __init__(self, data=None, **kwargs):
        # A bookmark or a first visit may leave out distance and order: fill in the defaults the
        # search will use, so the form shows what was done.
        if data is not None:
            data = data.copy()
            has_postcode = bool(data.get("postcode", "").strip())
            if not data.get("within"):
                data["within"] = str(DEFAULT_WITHIN)
            if not data.get("sort") or (data.get("sort") == "distance" and not has_postcode):
                words = bool(data.get("q", "").strip())
                data["sort"] = "distance" if has_postcode and not words else "relevance"
        super().__init__(data, **kwargs)
        self.origin: Origin | None = None
        if not (data or {}).get("postcode", "").strip():
            self.fields["sort"].choices = [(k, v) for k, v in SORTS.items() if k != "distance"]

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def clean_postcode(self):
        text = self.cleaned_data["postcode"].strip()
        if not text:
            return ""
        try:
            place = postcodes.lookup(text)
        except postcodes.PostcodeError as error:
            raise forms.ValidationError(error.message) from error
        self.data["postcode"] = place.postcode  # show the postcode as found: "LS1 4AP"
        self.origin = Origin.from_postcode(place)
        return place.postcode

    @property
    def within_km(self) -> float | None:
        if self.origin is None:
            return None
        return miles_to_km(self.cleaned_data["within"])


def narrow_filter_form(form) -> None:
    """Offer staff the top-level categories (read once, as a list: drawing the boxes from the
    queryset would open a server-side cursor each time)."""
    field = form.fields["category"]
    field.queryset = TaxonomyTerm.objects.filter(parent__isnull=True).order_by("name")
    field.widget.choices = [(term.code, term.name) for term in field.queryset]


def show_organisation_found(form) -> None:
    """An older link names the organisation by its slug: show its name in the box instead."""
    named = form.cleaned_data.get("organisation")
    if named and form.data.get("organisation") != named.label:
        form.data = form.data.copy()
        form.data["organisation"] = named.label


def filter_data(query: QueryDict) -> QueryDict:
    """Only the staff filters from the query string (page, q and the rest are not filters)."""
    data = query.copy()
    for key in list(data.keys()):
        if key not in STAFF_FILTERS:
            del data[key]
    return data


class ProblemReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong?",
        choices=ProblemReport.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong."},
    )
    details = forms.CharField(
        label="Tell us more",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "What should it say instead? Do not include anyone's personal details. "
            "The organisation's editors and our moderators will see this."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == ProblemReport.Reason.OTHER and not data.get("details", "").strip():
            self.add_error("details", "Tell us what is wrong.")
        return data


class ShortlistForm(forms.ModelForm):
    class Meta:
        model = Shortlist
        fields = ["name", "note"]
        labels = {"name": "Name of the list", "note": "Note (optional)"}
        help_texts = {
            "name": "Only you see this. Use something that does not name your client, like "
            "“Housing and money, March”.",
            "note": "Only you see this. It is printed with the list unless you choose otherwise, "
            "and never emailed.",
        }
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "name": {
                "required": "Enter a name for the list.",
                "max_length": "The name must be %(limit_value)d characters or fewer.",
            }
        }


NEW_LIST = "new"


class ShortlistAddForm(forms.Form):
    """Add a service to one of my lists, or to a new one."""

    shortlist = forms.ChoiceField(
        label="Add to",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a list."},
    )
    new_name = forms.CharField(label="Name of the new list", required=False, max_length=100)
    note = forms.CharField(
        label="Note about this service (optional)",
        required=False,
        max_length=500,
        help_text="Only you see this.",
    )

    def __init__(self, *args, shortlists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shortlists = {str(s.pk): s for s in shortlists}
        choices = [(pk, s.name) for pk, s in self.shortlists.items()]
        self.fields["shortlist"].choices = [*choices, (NEW_LIST, "A new list")]
        if not choices:
            self.fields["shortlist"].initial = NEW_LIST

    def clean(self):
        data = super().clean()
        if data.get("shortlist") == NEW_LIST and not " ".join(data.get("new_name", "").split()):
            self.add_error("new_name", "Enter a name for the new list.")
        return data

    @property
    def chosen(self) -> Shortlist | None:
        return self.shortlists.get(self.cleaned_data.get("shortlist"))


class ItemNoteForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=500)


class ShortlistEmailForm(forms.Form):
    email = forms.EmailField(
        label="Your client's email address",
        help_text="We use it to send this email and do not keep it.",
        error_messages={
            "required": "Enter your client's email address.",
            "invalid": "Enter an email address in the correct format, like name@example.com.",
        },
    )
    message = forms.CharField(
        label="Message (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown above the list. The list's name and your notes are not sent.",
    )
