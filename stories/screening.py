"""Automatic checks on a submitted story, in order: length, personal details, crisis language,
method and graphic detail.

Screening may only route a story: to a person's review (with flags and a priority) or to a
safeguarding hold. It never publishes or rejects. The domain runs `screen()` inside a guard, so an
error or a slow run holds the story too.

Tense matters for crisis language. "I want to die" and "going to end it all tonight" hold the
story; "I used to think about ending my life, now I volunteer" is recovery talk: a person reads it
first (priority high), but it is not held. When unsure, the checks hold: a held story is only read
sooner, by a person.

Speed and safety. Every pattern is a module constant compiled once. No pattern nests a quantifier
inside another that can match the same text, and repetitions are bounded, so no input makes the
regex engine backtrack catastrophically (tests feed it pathological text). The text is read once
into a set of words; a phrase's pattern runs only where one of its anchor words occurs, on a short
window around it, so a story costs a few whole-text passes however many phrases there are.
"""

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from stories.models import WORD_LIMIT, Priority


@dataclass
class Finding:
    check: str  # length, personal_details, crisis, method
    kind: str  # the flag: phone_number, date, crisis_language, method_detail, …
    excerpt: str  # the words matched (for the author's preview and for moderators)
    message: str  # plain English


@dataclass
class Outcome:
    route: Literal["review", "hold"]
    flags: list[str]
    priority: int
    risk: str | None
    findings: list[Finding]
    summary: str  # moderator-facing: what was found, never the story's words


# --- Messages ------------------------------------------------------------------------------------

MESSAGES = {
    "too_long": f"Longer than {WORD_LIMIT:,} words",
    "email": "An email address — someone could contact or identify you",
    "phone_number": "A phone number — someone could contact or identify you",
    "nhs_number": "An NHS number — this identifies you, so please take it out",
    "address": "An address or postcode — someone could find or identify you",
    "date": "A date — your care team may recognise this",
    "name": "A name — use a role instead, like 'my nurse'",
    "ward_or_hospital": "A ward or hospital name — with other details, this could identify you",
    "crisis_language": "Words about wanting to end their life, now — a person must check on them",
    "past_crisis": "Talks about past thoughts of ending their life — read with care",
    "method_detail": "Describes a method or an amount — cannot be published as it is",
    "graphic": "A graphic description — may need removing or a content note",
}

# Flags are listed in this order: the checks' order, then the kind.
FLAG_ORDER = tuple(MESSAGES)

# Short labels for the moderators' summary.
LABELS = {
    "too_long": "over the word limit",
    "email": "an email address",
    "phone_number": "a phone number",
    "nhs_number": "an NHS number",
    "address": "an address or postcode",
    "date": "a date",
    "name": "a person's name",
    "ward_or_hospital": "a ward or hospital name",
    "crisis_language": "words about wanting to end their life now",
    "past_crisis": "talk of past thoughts of ending their life",
    "method_detail": "method detail",
    "graphic": "graphic description",
}

PRIORITY = {
    "too_long": Priority.NORMAL,
    "email": Priority.NORMAL,
    "phone_number": Priority.NORMAL,
    "nhs_number": Priority.NORMAL,
    "address": Priority.NORMAL,
    "date": Priority.NORMAL,
    "name": Priority.NORMAL,
    "ward_or_hospital": Priority.NORMAL,
    "crisis_language": Priority.URGENT,
    "past_crisis": Priority.HIGH,
    "method_detail": Priority.URGENT,
    "graphic": Priority.HIGH,
}

EXCERPT_MAX = 60
WINDOW = 100  # characters either side of an anchor word that its phrase may reach

# Punctuation that separates words (the apostrophe and hyphen stay inside words).
_SEPARATORS = str.maketrans(
    {c: " " for c in '.,;:!?()[]{}<>"*/\\|~=#&%^$' + "\u201c\u201d\u2018\u2026\u2014\u2013\u00a3"}
)


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# --- Personal details (patterns run on the text as typed: capitals matter for names) ------------

_NAME = r"[A-Z](?:[a-z]|['\u2019][A-Z])[a-zA-Z'\u2019-]{0,30}"
_SP = r"[ \t]+"

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,5}")

# Digit-led patterns start with a literal or a digit, so the engine skips ahead quickly; what a
# leading word boundary would check is checked in Python (`_starts_word`).
# UK numbers: 0 then 9 or 10 digits, or +44 (optionally "(0)") then 9 or 10 digits; spaces,
# hyphens and a bracket round the area code allowed. Samaritans' 116 123 or 999 are not matched.
PHONE = re.compile(r"(?:\+44[ \t-]?(?:\(0\)[ \t-]?)?|0)\d(?:[ \t\-)]{0,2}\d){8,9}(?!\d)")
# Ten digits, 3-3-4 or together; counted when the check digit is right or "NHS" is just before.
NHS_NUMBER = re.compile(r"\d(?<![\d+]\d)\d{2}[ -]?\d{3}[ -]?\d{4}(?!\d)")
NHS_WORD = re.compile(r"\bNHS\b", re.IGNORECASE)
# A postcode from its first digit ("LS9 7JT": "9 7JT"); the letters before are checked after.
POSTCODE = re.compile(r"\d[A-Za-z\d]? ?\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}\b")
POSTCODE_AREA = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}$")
NUMERIC_DATE = re.compile(r"\d\d?([/.-])\d\d?\1(?:\d{4}|\d\d)(?![\d/.-]?\d)")
ISO_DATE = re.compile(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b")

STREET_WORDS = _split(
    "Street Road Lane Avenue Drive Close Crescent Grove Terrace Place Gardens Walk Way Court "
    "Square Rise Mews Row Parade Green St Rd Ave"
)
STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?[ \t]+(?:[A-Z][a-z][a-zA-Z'\u2019-]{0,30}[ \t]+){1,3}"
    r"(?:" + "|".join(STREET_WORDS) + r")\b"
)

MONTHS = {  # lower-case word -> as written in a date
    "january": "January",
    "jan": "Jan",
    "february": "February",
    "feb": "Feb",
    "march": "March",
    "mar": "Mar",
    "april": "April",
    "apr": "Apr",
    "may": "May",
    "june": "June",
    "jun": "Jun",
    "july": "July",
    "jul": "Jul",
    "august": "August",
    "aug": "Aug",
    "september": "September",
    "sept": "Sept",
    "sep": "Sep",
    "october": "October",
    "oct": "Oct",
    "november": "November",
    "nov": "Nov",
    "december": "December",
    "dec": "Dec",
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS.values(), key=len, reverse=True)) + r")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
WORD_DATES = (
    # 3 March 2024, 3rd of March, 3 Mar 24
    re.compile(
        r"\b" + _DAY + r"(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t]+" + _MONTH + r"\b"
        r"(?:,?[ \t]+(?:(?:19|20)\d\d|'?\d\d))?(?![\w'])"
    ),
    # March 3, 2024; March 3rd
    re.compile(r"\b" + _MONTH + r"[ \t]+" + _DAY + r"(?:st|nd|rd|th)?\b(?:,?[ \t]+(?:19|20)\d\d)?"),
)

TITLES = ("Dr", "Mr", "Mrs", "Ms", "Mx", "Prof", "Doctor", "Nurse", "Miss", "Professor", "Matron")
# Nurse Sarah Jones, Dr Patel, Dr. O'Neil
TITLE_NAME = re.compile(
    r"(?:(?:Dr|Mrs|Mr|Ms|Mx|Prof)\.?|Doctor|Nurse|Miss|Professor|Matron)"
    + _SP
    + _NAME
    + r"(?:"
    + _SP
    + _NAME
    + r")?"
)
ROLES = _split(
    "nurse doctor gp consultant psychiatrist psychologist therapist counsellor counselor "
    "coordinator co-ordinator worker keyworker cpn"
)
# my care coordinator Sarah Jones; our social worker, Tom Hill (two capitalised words)
ROLE_NAME = re.compile(
    r"\b(?i:my|our|the)[ \t]+(?i:nurse|doctor|gp|consultant|psychiatrist|psychologist|"
    r"therapist|counsell?or|care[ \t]+co-?ordinator|social[ \t]+worker|support[ \t]+worker|"
    r"key[ \t]?worker|cpn|occupational[ \t]+therapist|care[ \t]+worker|peer[ \t]+worker)"
    r",?[ \t]+" + _NAME + _SP + _NAME
)

PLACE_WORDS = ("Ward", "Hospital", "Infirmary", "Hospice")
WARD_NUMBER = re.compile(r"[Ww]ard[ \t]+\d{1,3}[A-Za-z]?\b")
# Becklin Ward, St James's University Hospital, Leeds General Infirmary
NAMED_PLACE = re.compile(
    r"\b(?:(?:St|Saint)\.?[ \t]+)?" + _NAME + r"(?:[ \t]+" + _NAME + r"){0,3}"
    r"[ \t]+(?:Ward|Hospital|Infirmary|Hospice)\b"
)

# The order kinds claim text in: a later kind never claims text an earlier one matched.
PERSONAL_ORDER = (
    "email",
    "phone_number",
    "nhs_number",
    "address",
    "date",
    "name",
    "ward_or_hospital",
)

# --- Crisis language (patterns run on the lower-cased text) ------------------------------------


def _phrases(*rules: tuple[str, str, str]) -> tuple[tuple[tuple[str, ...], str, re.Pattern], ...]:
    """(anchor words, kind, pattern): the pattern is looked for only near an anchor word."""
    return tuple(
        (_split(anchors), kind, re.compile(r"\b(?:" + pattern + r")\b"))
        for anchors, kind, pattern in rules
    )


_HAVE = r"(?:i\s+have(?:\s+got)?|i'?ve(?:\s+got)?|i\s+got)"
_END_OF_CLAUSE = (
    r"(?=\s*(?:[.!;:\n]|$|and\b|ready\b|here\b|now\b|saved\b|"
    r"to\s+(?:end|die|kill|take|do\s+it)\b|for\s+(?:tonight|today|tomorrow|how|when)\b))"
)
CRISIS_PHRASES = _phrases(
    # kind "crisis": holds when said in the present; "plan": a plan, the means, a note: immediate.
    ("kill killing", "crisis", r"kill(?:ing)?\s+my\s?self"),
    ("end ending", "crisis", r"end(?:ing)?\s+it\s+all"),
    ("life", "crisis", r"(?:end(?:ing)?|tak(?:e|ing))\s+my\s+(?:own\s+)?life"),
    (
        "end",
        "crisis",
        r"(?:going\s+to|gonna|want\s+to|wanna|i'll|i\s+will|about\s+to)\s+end\s+it",
    ),
    ("die", "crisis", r"want(?:ed|ing|s)?\s+to\s+die|wanna\s+die"),
    (
        "reason point",
        "crisis",
        r"(?:no|nothing)\s+(?:left\s+)?(?:reason|point)\s+(?:to|in)\s+"
        r"(?:liv(?:e|ing)|go(?:ing)?\s+on)",
    ),
    ("live", "crisis", r"nothing\s+(?:left\s+)?to\s+live\s+for"),
    ("better", "crisis", r"better\s+off\s+(?:dead|without\s+me)"),
    ("suicidal", "crisis", r"suicidal"),
    (
        "want",
        "crisis",
        r"(?:don'?t|do\s+not)\s+want\s+to\s+(?:be\s+(?:here|alive)|live|wake\s+up)",
    ),
    ("can't cant", "crisis", r"can'?t\s+go\s+on"),
    (
        "wish",
        "crisis",
        r"wish\s+i\s+(?:was|were)\s+dead|wish\s+i\s+(?:wasn'?t|weren'?t)\s+(?:here|alive)|"
        r"wish\s+i\s+could\s+(?:die|disappear)",
    ),
    (
        "suicide",
        "crisis",
        r"(?:think(?:ing)?|thought)\s+(?:about|of)\s+suicide|"
        r"(?:consider(?:s|ed|ing)?|attempt(?:s|ed|ing)?|commit(?:s|ted|ting)?)\s+suicide",
    ),
    (
        "overdose hang",
        "crisis",
        r"(?:going\s+to|gonna|want\s+to|i'll|i\s+will)\s+(?:overdose|hang\s+my\s?self)",
    ),
    ("end stop", "crisis", r"want(?:ed|s)?\s+(?:it\s+all|everything)\s+to\s+(?:end|stop)"),
    ("plan", "plan", _HAVE + r"\s+(?:a|the|my)\s+plan" + _END_OF_CLAUSE),
    (
        "pills tablets rope",
        "plan",
        _HAVE + r"\s+(?:the|enough)\s+(?:pills|tablets|rope)" + _END_OF_CLAUSE,
    ),
    ("note notes letter letters", "plan", r"(?:suicide|goodbye)\s+(?:note|letter)s?"),
    (
        "won't wont",
        "plan",
        r"won'?t\s+be\s+(?:here|around)\s+(?:tomorrow|much\s+longer|for\s+long)",
    ),
    ("goodbye", "plan", r"this\s+is\s+(?:my\s+)?goodbye"),
)
# Said in the same clause, these make present crisis language immediate.
IMMEDIATE = re.compile(
    r"\b(?:tonight|today|right\s+now|this\s+(?:evening|weekend|morning|afternoon)|"
    r"tomorrow|in\s+(?:an|a\s+few)\s+hours?)\b"
)
# Said before present crisis language in the same clause: a plan, so immediate.
PLANNING = re.compile(r"\b(?:planning|plan\s+to|plans\s+to|decided\s+to|ready\s+to)\b")
# "I have decided to…", "I've planned…", "I've been thinking about…": the present perfect.
PERFECT = re.compile(
    r"\b(?:i\s+have|i'?ve|i\s+has)\s+(?:(?:really|already|just|finally|now)\s+)?"
    r"(planned|decided|made\s+(?:a|my)\s+plan|written|thought|been\s+thinking)\b"
)
# Where a clause starts: sentence punctuation, or a turn ("but now…", "and I…").
BOUNDARY = re.compile(
    r"[.!?;:\n,\u2013\u2014\u2026()\"\u201c\u201d]|\b(?:but|now|so|nowadays|these\s+days|"
    r"since\s+then|anymore|any\s+more)\b|\band(?=\s+(?:i|now|then|still|yet)\b)"
)
# Said in the past: "I used to…", "back then", "I wanted to die", "I tried to…".
PAST = re.compile(
    r"\b(?:used\s+to|use\s+to|back\s+then|at\s+the\s+time|at\s+that\s+(?:time|point|stage)|"
    r"(?:years|months|weeks|days|a\s+year|a\s+month|a\s+week|a\s+long\s+time)\s+ago|"
    r"in\s+the\s+past|(?:in|during)\s+(?:19|20)\d\d|"
    r"last\s+(?:year|month|winter|summer|spring|autumn)|was|were|wasn'?t|had|"
    r"wanted|tried|thought|felt|believed|planned|attempted|committed|decided|kept|nearly|almost|"
    r"once|survived|remember(?:ed)?|told|said|wrote|came\s+close)\b"
)
# "…ending my life was all I thought about": the phrase is the subject of a past verb.
PAST_AFTER = re.compile(r"\s*(?:was|were|had|used)\b")
# "I don't want to die any more", "I'm no longer suicidal", "I would never kill myself".
NEGATED = re.compile(
    r"(?:\b(?:do|does|did|wo|would|could|should|ca|is|are|was|were|am)n'?t|"
    r"\bnot|\bno\s+longer|\bnever)"
    r"(?:\s+(?:really|even|ever|actually|want\s+to|going\s+to|be|feel|feeling))*\s+$"
)
_LOOK = 160  # how far either side of a phrase its clause is looked for

# --- Method and graphic detail (lower-cased text) ----------------------------------------------

# Amounts an overdose is told in (ten or more, a box, a handful, all of them); "I take two
# tablets a day" is not one.
_AMOUNT = (
    r"(?:[1-9]\d{1,3}|a\s+(?:whole\s+)?(?:box|packet|pack|bottle|strip)|all(?:\s+of)?|"
    r"(?:ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"a\s+hundred|hundreds|a\s+dozen|dozens|a\s+handful|handfuls)"
    r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?)"
)
_TAKING = "took take taking swallowed swallow swallowing downed overdosed overdose od'd odd"
METHOD_PHRASES = _phrases(
    (
        _TAKING,
        "method_detail",
        r"(?:took|take|taking|swallowed|swallow(?:ing)?|downed|overdosed\s+on|"
        r"overdose\s+of|od'?d\s+on)\s+"
        r"(?:(?:about|around|over|nearly|almost|all|like|maybe|at\s+least)\s+)?"
        + _AMOUNT
        + r"\s*(?:of\s+)?(?:(?:my|his|her|the|their)\s+)?(?:[a-z-]{1,20}\s+)?"
        r"(?:pills|tablets|paracetamol|co-?codamol|codeine|aspirin|ibuprofen|"
        r"antidepressants|capsules|meds|diazepam|zopiclone|sertraline|citalopram|fluoxetine|"
        r"mirtazapine|quetiapine|amitriptyline|propranolol|lithium)",
    ),
    ("many", "method_detail", r"how\s+many\s+(?:pills|tablets|paracetamol)"),
    ("lethal fatal deadly", "method_detail", r"(?:lethal|fatal|deadly)\s+(?:dose|amount|overdose)"),
    ("ligature ligatures noose", "method_detail", r"ligatures?|noose"),
    ("hang hanged hanging hung", "method_detail", r"(?:hang(?:ed|ing)?|hung)\s+my\s?self"),
    ("deep deeper deeply", "method_detail", r"cut(?:ting|s)?\s+(?:really\s+|so\s+)?deep(?:er|ly)?"),
    ("bone", "method_detail", r"cut(?:ting|s)?\s+(?:down\s+)?to\s+the\s+bone"),
    ("slit slitting", "method_detail", r"slit(?:ting)?\s+my\s+(?:wrists?|throat)"),
    (
        "jump jumped jumping",
        "method_detail",
        r"jump(?:ed|ing)?\s+(?:off|from|in\s+front\s+of)\s+(?:a|the)\s+"
        r"(?:bridge|building|roof|multi-?storey|car\s+park|cliff|train|lorry|bus)",
    ),
    ("train", "method_detail", r"in\s+front\s+of\s+a\s+train"),
    (
        "stockpiled stockpiling",
        "method_detail",
        r"stockpil(?:ed|ing)\s+(?:my\s+)?(?:pills|tablets|meds|medication)",
    ),
    ("razor razors blade blades", "method_detail", r"(?:razor|blade)s?\s+(?:to|into|across)\s+my"),
    ("monoxide fumes", "method_detail", r"carbon\s+monoxide|exhaust\s+fumes"),
    ("bleach", "method_detail", r"dr(?:ank|ink|inking)\s+bleach"),
    (
        "blood",
        "graphic",
        r"blood\s+(?:everywhere|pouring|poured|gushing|gushed|spurting|all\s+over)"
        r"|(?:pool|puddle)\s+of\s+(?:my\s+)?blood",
    ),
    ("wound wounds gash gashes", "graphic", r"(?:gaping|open)\s+(?:wounds?|gash(?:es)?)"),
    ("bone fat tendon tendons", "graphic", r"see\s+(?:the\s+)?(?:bone|fat|tendons?)"),
    ("skin flesh", "graphic", r"(?:skin|flesh)\s+(?:split|peeled|tore|torn)\s+open"),
)


# --- Helpers -----------------------------------------------------------------------------------


_WORD_TAIL = re.compile(r"\w*")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _starts_word(text: str, i: int) -> bool:
    return i == 0 or not _is_word_char(text[i - 1])


def _word_end(text: str, i: int) -> int:
    """The end of the word at `i`, so a window never cuts a word in two (a pattern's closing
    word boundary would otherwise match in the middle of one)."""
    return _WORD_TAIL.match(text, min(i, len(text))).end()


_WHOLE_WORDS: dict[str, re.Pattern] = {}


def _whole_word(word: str) -> re.Pattern:
    """`word` as a whole word. The literal comes first, so the engine skips ahead quickly; the
    lookbehind after it checks the character before. Compiled once per word."""
    pattern = _WHOLE_WORDS.get(word)
    if pattern is None:
        pattern = _WHOLE_WORDS[word] = re.compile(
            re.escape(word) + r"(?<!\w.{" + str(len(word)) + r"})(?!\w)", re.DOTALL
        )
    return pattern


def _occurrences(text: str, word: str):
    """Start positions of `word` as a whole word in `text`."""
    return (m.start() for m in _whole_word(word).finditer(text))


def _windows(text: str, word: str, before: int, after: int):
    """(lo, hi) windows round the occurrences of `word`, overlapping ones merged, so dense text
    is still read about once."""
    lo = hi = -1
    for m in _whole_word(word).finditer(text):
        start, end = max(0, m.start() - before), m.end() + after
        if start <= hi:
            hi = end
            continue
        if hi >= 0:
            yield lo, _word_end(text, hi)
        lo, hi = start, end
    if hi >= 0:
        yield lo, _word_end(text, hi)


def _near(text: str, word: str, pattern: re.Pattern, before: int, after: int):
    """Matches of `pattern` within `before`/`after` characters of `word`."""
    for lo, hi in _windows(text, word, before, after):
        yield from pattern.finditer(text, lo, hi)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


def _finding(check: str, kind: str, matched: str) -> Finding:
    return Finding(check=check, kind=kind, excerpt=_excerpt(matched), message=MESSAGES[kind])


def _nhs_number_ok(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class _Text:
    """A story's text read once: as typed, lower-cased (same length) and as a set of words."""

    def __init__(self, text: str):
        self.text = text
        lower = text.lower().replace("\u2019", "'")
        if len(lower) != len(text):  # a character whose lower case is longer ("İ")
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
            lower = lower.replace("\u2019", "'")
        self.lower = lower
        self.words = {w.strip("'-") for w in set(lower.translate(_SEPARATORS).split())}
        self.has_digit = any(c.isdigit() for w in self.words if not w.isalpha() for c in w)


# --- The checks --------------------------------------------------------------------------------


def _personal_candidates(t: _Text):
    """(kind, start, end) for every candidate personal detail, any order."""
    text, words = t.text, t.words
    if "@" in text:
        for m in EMAIL.finditer(text):
            yield "email", m.start(), m.end()
    if t.has_digit:
        for m in PHONE.finditer(text):
            start = m.start()
            if start and (_is_word_char(text[start - 1]) or text[start - 1] == "+"):
                continue
            if start and text[start - 1] == "(":
                start -= 1
            yield "phone_number", start, m.end()
        for m in NHS_NUMBER.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if _starts_word(text, m.start()) and (
                _nhs_number_ok(digits) or NHS_WORD.search(text, max(0, m.start() - 30), m.start())
            ):
                yield "nhs_number", m.start(), m.end()
        for m in POSTCODE.finditer(text):
            area = POSTCODE_AREA.search(text, max(0, m.start() - 2), m.start())
            if area:
                yield "address", area.start(), m.end()
        for word in STREET_WORDS:
            if word.lower() in words:
                for m in _near(text, word, STREET, 80, 0):
                    yield "address", m.start(), m.end()
        for m in NUMERIC_DATE.finditer(text):
            day, month = (int(n) for n in re.split(r"[/.-]", m.group())[:2])
            if _starts_word(text, m.start()) and 1 <= day <= 31 and 1 <= month <= 12:
                yield "date", m.start(), m.end()
        for m in ISO_DATE.finditer(text):
            if _starts_word(text, m.start()):
                yield "date", m.start(), m.end()
    for key, written in MONTHS.items():
        if key in words:
            for pattern in WORD_DATES:
                for m in _near(text, written, pattern, 12, 12):
                    yield "date", m.start(), m.end()
    for title in TITLES:
        if title.lower() in words:
            for at in _occurrences(text, title):
                m = TITLE_NAME.match(text, at)
                if m:
                    yield "name", m.start(), m.end()
    for role in ROLES:
        if role in words:
            for lo, hi in _windows(t.lower, role, 30, 70):
                for m in ROLE_NAME.finditer(text, lo, hi):
                    yield "name", m.start(), m.end()
    if "ward" in words and t.has_digit:
        for written in ("Ward", "ward"):
            for at in _occurrences(text, written):
                m = WARD_NUMBER.match(text, at)
                if m:
                    yield "ward_or_hospital", m.start(), m.end()
    for place in PLACE_WORDS:
        if place.lower() in words:
            for m in _near(text, place, NAMED_PLACE, 130, 0):
                yield "ward_or_hospital", m.start(), m.end()


def _personal(t: _Text) -> list[tuple[int, Finding]]:
    """(position, finding) for each personal detail; earlier kinds claim their text first."""
    rank = {kind: i for i, kind in enumerate(PERSONAL_ORDER)}
    candidates = sorted(set(_personal_candidates(t)), key=lambda c: (rank[c[0]], c[1], -c[2]))
    found: list[tuple[int, Finding]] = []
    starts: list[int] = []  # the claimed spans, sorted and never overlapping
    ends: list[int] = []
    for kind, start, end in candidates:
        i = bisect.bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        found.append((start, _finding("personal_details", kind, t.text[start:end])))
    return found


def identifying_details(text: str) -> list[Finding]:
    """Details that could identify the author or others, in the order they appear, each once:
    for the author's preview ("A phone number — someone could contact or identify you")."""
    seen: set[tuple[str, str]] = set()
    findings = []
    for _position, finding in sorted(_personal(_Text(text or "")), key=lambda item: item[0]):
        key = (finding.kind, finding.excerpt.casefold())
        if key not in seen:
            seen.add(key)
            findings.append(finding)
    return findings


def _phrase_matches(t: _Text, phrases) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each phrase found near one of its anchor words, once each."""
    found: dict[tuple[int, int], str] = {}
    for anchors, kind, pattern in phrases:
        for anchor in anchors:
            if anchor not in t.words:
                continue
            for m in _near(t.lower, anchor, pattern, WINDOW, WINDOW):
                found.setdefault(m.span(), kind)
    kept: list[tuple[int, int, str]] = []
    for (start, end), kind in sorted(found.items()):
        if kept and start < kept[-1][1]:  # overlapping: "want to end it" + "end it all"
            first_start, first_end, first_kind = kept[-1]
            kind = "plan" if "plan" in (kind, first_kind) else first_kind
            kept[-1] = (first_start, max(end, first_end), kind)
        else:
            kept.append((start, end, kind))
    return kept


def _clause(lower: str, start: int, end: int) -> tuple[str, str]:
    """The words of the phrase's clause before it, and after it (with the boundary that ends
    the clause, so "right now" and "tonight," are still seen)."""
    before = lower[max(0, start - _LOOK) : start]
    cut = 0
    for boundary in BOUNDARY.finditer(before):
        cut = boundary.end()
    after = lower[end : end + _LOOK]
    stop = BOUNDARY.search(after)
    return before[cut:], after[: stop.end()] if stop else after


def _tense(lower: str, start: int, end: int) -> str:
    """'immediate', 'present' or 'past' (past also for negated: "I don't want to die now")."""
    if NEGATED.search(lower, max(0, start - 60), start):
        return "past"
    before, after = _clause(lower, start, end)
    if IMMEDIATE.search(before) or IMMEDIATE.search(after):
        return "immediate"
    perfect = PERFECT.search(before)  # "I've decided to…" is now, not the past
    if perfect:
        return "present" if perfect.group(1).startswith(("thought", "been")) else "immediate"
    # The phrase's own first word may be past too: "wanted to die", "attempted suicide".
    if PAST.search(before) or PAST.match(lower, start) or PAST_AFTER.match(lower, end):
        return "past"
    if PLANNING.search(before):
        return "immediate"
    return "present"


def _crisis(t: _Text) -> tuple[list[tuple[int, Finding]], str | None]:
    """Findings, and the risk when the story must be held (None: not held)."""
    found: list[tuple[int, Finding]] = []
    risk = None
    for start, end, kind in _phrase_matches(t, CRISIS_PHRASES):
        tense = _tense(t.lower, start, end)
        words = t.text[start:end]
        if tense == "past":
            found.append((start, _finding("crisis", "past_crisis", words)))
            continue
        found.append((start, _finding("crisis", "crisis_language", words)))
        if kind == "plan" or tense == "immediate":
            risk = "immediate"
        elif risk is None:
            risk = "high"
    return found, risk


def _method(t: _Text) -> list[tuple[int, Finding]]:
    return [
        (start, _finding("method", kind, t.text[start:end]))
        for start, end, kind in _phrase_matches(t, METHOD_PHRASES)
    ]


def _ordered(found: list[tuple[int, Finding]]) -> list[Finding]:
    return [finding for _position, finding in sorted(found, key=lambda item: item[0])]


def screen(*, title: str, body: str) -> Outcome:
    """Run the checks in order and decide the route. Never publishes or rejects."""
    title, body = title or "", body or ""
    t = _Text(f"{title}\n\n{body}" if title else body)
    findings: list[Finding] = []

    # 1. Length.
    words = len(body.split())
    if words > WORD_LIMIT:
        findings.append(_finding("length", "too_long", f"{words:,} words"))
    # 2. Personal details.
    findings += _ordered(_personal(t))
    # 3. Crisis language.
    crisis, risk = _crisis(t)
    findings += _ordered(crisis)
    # 4. Method and graphic detail.
    method = _method(t)
    findings += _ordered(method)
    if risk == "high" and any(f.kind == "method_detail" for _p, f in method):
        risk = "immediate"  # intent and the means

    found = {f.kind for f in findings}
    flags = [flag for flag in FLAG_ORDER if flag in found]
    route: Literal["review", "hold"] = "hold" if risk else "review"
    priority = max((PRIORITY[flag] for flag in flags), default=Priority.NORMAL)
    if route == "hold":
        priority = Priority.URGENT
    return Outcome(
        route=route,
        flags=flags,
        priority=int(priority),
        risk=risk,
        findings=findings,
        summary=_summary(route, risk, flags),
    )


def _summary(route: str, risk: str | None, flags: list[str]) -> str:
    found = "; ".join(LABELS[flag] for flag in flags)
    if route == "hold":
        return f"Held for a safety check (risk: {risk}). Automatic checks found: {found}."
    if found:
        return f"Automatic checks found: {found}."
    return "Automatic checks found nothing to flag."


# Every word the checks look for, compiled now rather than on the first story.
for _word in (
    *(
        anchor
        for phrases in (CRISIS_PHRASES, METHOD_PHRASES)
        for a, _k, _p in phrases
        for anchor in a
    ),
    *STREET_WORDS,
    *MONTHS.values(),
    *TITLES,
    *ROLES,
    *PLACE_WORDS,
    "ward",
):
    _whole_word(_word)
