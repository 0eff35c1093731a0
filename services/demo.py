"""Demo directory: about forty services across the fictional Northfield, Eastbrook and Millbridge.

The area is made up, but it sits on real Leeds postcodes, and each place is stored at its
postcode's real centroid (postcodes.io), so distance searches from those postcodes behave as they
would for real. Names, streets and people are invented; phone numbers are from Ofcom's range kept
for drama (01632 960xxx) and email addresses are on example.org.

Everything is written through `services.domain.service_save`, with fixed ids (uuid5 of a slug), so
seeding again creates nothing new, and a service whose stored record already matches is left alone:
no save, no audit entry. A service someone has changed is put back as it is here.

The organisations come from `portal.demo`; the two that only the directory needs (a women's aid
charity and a food bank) are created here.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction

NAMESPACE = uuid.UUID("0b6f4a52-3d1e-5c4e-9a57-64656d6f2d31")  # fixed for the demo directory

# Organisation names, as portal.demo spells them.
NHS = "Northfield Health NHS Foundation Trust"
COUNCIL = "Northfield Council Adult Social Care"
MIND = "Northfield Mind"
CAB = "Citizens Advice Northfield"
OLD_BELL = "The Old Bell Arts for Recovery"
VOICES = "Voices Together Hearing Voices Group"
WEB = "Eastbrook Wellbeing Web Network"
COLLEGE = "Northfield College"
CAFE = "Millbridge Recovery Café"
CARERS = "Northfield Carers Centre"
PATHWAYS = "Pathways Supported Housing"
WORK = "Eastbrook Employment Support Service"
ALLOTMENTS = "Millbridge Community Allotments"
WOMENS_AID = "Northfield Women's Aid"
FOOD_BANK = "Northfield Community Food Bank"

# Organisations only the directory needs: (name, sector, description, areas served).
EXTRA_ORGANISATIONS = [
    (
        WOMENS_AID,
        "voluntary",
        "Refuge, outreach and a helpline for women and children affected by domestic abuse.",
        ["Northfield", "Eastbrook", "Millbridge"],
    ),
    (
        FOOD_BANK,
        "voluntary",
        "Emergency food parcels and a listening ear, run by volunteers from local churches.",
        ["Northfield", "Eastbrook"],
    ),
]

# Postcode centroids as postcodes.io gives them: (latitude, longitude). All in Leeds.
POSTCODES = {
    "LS1 3EX": (53.80198, -1.55179),
    "LS1 4AP": (53.796569, -1.547893),
    "LS2 9JT": (53.80669, -1.55502),
    "LS6 3BR": (53.817585, -1.58206),
    "LS7 4SA": (53.82965, -1.53718),
    "LS9 7TF": (53.80695, -1.52026),
    "LS10 1LT": (53.79187, -1.53245),
    "LS11 0ES": (53.777714, -1.573104),
}
LOCAL_AUTHORITY = "Leeds"
# Postcode districts of the three demo areas.
NORTHFIELD = ["LS1", "LS2", "LS6", "LS7"]
EASTBROOK = ["LS9", "LS10"]
MILLBRIDGE = ["LS11", "LS12"]

DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}


# --- Places ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    organisation: str
    name: str
    address_1: str = ""
    address_2: str = ""
    postcode: str = ""
    location_type: str = "physical"
    accessibility: tuple = ()
    accessibility_notes: str = ""
    transport: str = ""
    confidential: bool = False
    public_area: str = ""


STEP_FREE = ("step_free", "accessible_toilet")

PLACES = {
    # Northfield Health NHS Foundation Trust
    "ashgrove-house": Place(
        NHS,
        "Ashgrove House",
        "31 Clarendon Row",
        "Northfield",
        "LS1 3EX",
        accessibility=(*STEP_FREE, "hearing_loop", "lift", "parking"),
        accessibility_notes="Reception is on the ground floor. Two blue badge bays at the front.",
        transport="Buses 1, 6 and 97 stop outside. Ten minutes' walk from the railway station.",
    ),
    "eastbrook-health-centre": Place(
        NHS,
        "Eastbrook Health Centre",
        "140 Brookfield Road",
        "Eastbrook",
        "LS9 7TF",
        accessibility=(*STEP_FREE, "hearing_loop", "quiet_space"),
        accessibility_notes="Talking therapies rooms are on the ground floor, left of reception.",
        transport="Buses 4, 40 and 50 stop on Brookfield Road. Pay and display car park behind.",
    ),
    "forward-steps": Place(
        NHS,
        "Forward Steps",
        "22 Kirkgate Yard",
        "Eastbrook",
        "LS10 1LT",
        accessibility=STEP_FREE,
        transport="Five minutes' walk from the bus station, along the river path.",
    ),
    # Northfield Council Adult Social Care
    "civic-centre": Place(
        COUNCIL,
        "Northfield Civic Centre",
        "Market Place",
        "Northfield",
        "LS1 4AP",
        accessibility=(*STEP_FREE, "hearing_loop", "bsl", "lift"),
        accessibility_notes="Ask at the front desk for a British Sign Language video interpreter.",
        transport="Next to the bus station.",
    ),
    # Northfield Mind
    "mind-centre": Place(
        MIND,
        "Northfield Mind Centre",
        "47 Chapel Lane",
        "Northfield",
        "LS7 4SA",
        accessibility=(*STEP_FREE, "quiet_space"),
        accessibility_notes="There is a quiet room upstairs if the café gets too busy (no lift).",
        transport="Buses 2, 3 and 3A to Chapel Lane. On-street parking.",
    ),
    "lantern": Place(
        MIND,
        "The Lantern Safe Haven",
        "9 Station Parade",
        "Northfield",
        "LS2 9JT",
        accessibility=(*STEP_FREE, "quiet_space"),
        transport="Opposite the university bus stops (1, 6, 28, 97). Well lit at night.",
    ),
    "eastbrook-park-gates": Place(
        MIND,
        "Eastbrook Park main gates",
        "Park Road",
        "Eastbrook",
        "LS9 7TF",
        accessibility_notes="Flat tarmac paths, suitable for wheelchairs and buggies.",
    ),
    # Citizens Advice Northfield
    "cab-office": Place(
        CAB,
        "Citizens Advice Northfield",
        "3 Market Street",
        "Northfield",
        "LS1 4AP",
        accessibility=(*STEP_FREE, "hearing_loop"),
        accessibility_notes="Private interview rooms are available if you would rather not talk at "
        "the front desk.",
        transport="Two minutes from the bus station.",
    ),
    "millbridge-library": Place(
        CAB,
        "Millbridge Library",
        "Beck Lane",
        "Millbridge",
        "LS11 0ES",
        accessibility=STEP_FREE,
        transport="Buses 51 and 52 stop outside.",
    ),
    "cab-ashgrove": Place(
        CAB,
        "Ashgrove House (Citizens Advice clinic room)",
        "31 Clarendon Row",
        "Northfield",
        "LS1 3EX",
        accessibility=(*STEP_FREE, "lift"),
    ),
    # The Old Bell Arts for Recovery
    "old-bell": Place(
        OLD_BELL,
        "The Old Bell",
        "88 Brook Street",
        "Eastbrook",
        "LS10 1LT",
        accessibility=("step_free", "accessible_toilet", "quiet_space"),
        accessibility_notes="The studio is on the ground floor. The music room is down six steps.",
        transport="Buses 12 and 13 to Brook Street.",
    ),
    # Voices Together
    "park-community-centre": Place(
        VOICES,
        "Northfield Park Community Centre",
        "2 Victoria Grove",
        "Northfield",
        "LS6 3BR",
        accessibility=STEP_FREE,
        transport="Buses 19 and 56 to Victoria Grove. Headingley-line trains, ten minutes' walk.",
    ),
    "voices-online": Place(VOICES, "Online (Zoom)", location_type="virtual"),
    # Eastbrook Wellbeing Web Network
    "eastbrook-library": Place(
        WEB,
        "Eastbrook Library",
        "1 Library Square",
        "Eastbrook",
        "LS9 7TF",
        accessibility=(*STEP_FREE, "hearing_loop", "lift"),
        transport="Buses 4, 40 and 50 to Library Square.",
    ),
    # Northfield College
    "college-city-campus": Place(
        COLLEGE,
        "Northfield College, City Campus",
        "Portland Row",
        "Northfield",
        "LS2 9JT",
        accessibility=(*STEP_FREE, "hearing_loop", "lift", "quiet_space"),
        accessibility_notes="Recovery college rooms are on the first floor (lift by reception).",
        transport="Most city buses stop on Portland Row.",
    ),
    # Millbridge Recovery Café
    "methodist-hall": Place(
        CAFE,
        "Millbridge Methodist Hall",
        "5 Mill Lane",
        "Millbridge",
        "LS11 0ES",
        accessibility=STEP_FREE,
        transport="Buses 51 and 52 to Mill Lane.",
    ),
    "eastbrook-community-centre": Place(
        CAFE,
        "Eastbrook Community Centre",
        "18 Cross Green Road",
        "Eastbrook",
        "LS9 7TF",
        accessibility=STEP_FREE,
    ),
    # Northfield Carers Centre
    "carers-centre": Place(
        CARERS,
        "Northfield Carers Centre",
        "16 Victoria Terrace",
        "Northfield",
        "LS6 3BR",
        accessibility=("step_free", "accessible_toilet", "hearing_loop"),
        transport="Buses 19 and 56 to Victoria Terrace.",
    ),
    # Pathways Supported Housing
    "pathways-house": Place(
        PATHWAYS,
        "Pathways House",
        "60 Canal Wharf",
        "Northfield",
        "LS1 4AP",
        accessibility=(*STEP_FREE, "lift"),
    ),
    # Eastbrook Employment Support Service
    "employment-hub": Place(
        WORK,
        "Eastbrook Employment Hub",
        "2 Station Road",
        "Eastbrook",
        "LS9 7TF",
        accessibility=(*STEP_FREE, "hearing_loop"),
        transport="Buses 4, 40 and 50 to Station Road.",
    ),
    # Millbridge Community Allotments
    "allotments": Place(
        ALLOTMENTS,
        "Millbridge Community Allotments",
        "Beck Lane (gate opposite the library)",
        "Millbridge",
        "LS11 0ES",
        accessibility=("accessible_toilet", "parking"),
        accessibility_notes="Raised beds and a wide, level path to the polytunnel. The compost "
        "toilet is wheelchair accessible.",
        transport="Buses 51 and 52 to Millbridge Library.",
    ),
    # Northfield Women's Aid: a refuge. The address is kept for staff and never shown.
    "refuge": Place(
        WOMENS_AID,
        "Northfield refuge",
        "14 Moorland View",
        "Northfield",
        "LS7 4SA",
        confidential=True,
        public_area="Northfield",
    ),
    "helpline": Place(WOMENS_AID, "Helpline", location_type="virtual"),
    # Northfield Community Food Bank
    "st-marks": Place(
        FOOD_BANK,
        "St Mark's Church Hall",
        "Church Road",
        "Northfield",
        "LS7 4SA",
        accessibility=STEP_FREE,
        transport="Buses 2, 3 and 3A to Church Road.",
    ),
    "eastbrook-baptist": Place(
        FOOD_BANK,
        "Eastbrook Baptist Church",
        "71 Harrow Street",
        "Eastbrook",
        "LS9 7TF",
        accessibility=("step_free",),
    ),
}


# --- Services ----------------------------------------------------------------------------------


@dataclass
class Demo:
    """One demo service. `at` is [(place slug, "Tue,Thu 10:00-15:00; Sat 10:00-12:00", notes)]."""

    slug: str
    organisation: str
    name: str
    summary: str
    description: str
    categories: list
    routes: list
    eligibility: str
    referral_information: str
    exclusions: str = ""
    named_teams: str = ""
    referral_form: str = ""  # path on the organisation's example.org site
    referral_email: str = ""  # local part, on the organisation's example.org domain
    referral_phone: str = ""
    accepting: str = "yes"
    wait: str = ""
    ages: tuple = (18, None)
    languages: tuple = ("English",)
    interpreting: str = ""
    modes: tuple = ("in_person",)
    free: bool = True
    fees: str = ""
    at: list = field(default_factory=list)
    contacts: list = field(default_factory=list)  # (name, title, email local part, phone)
    phones: list = field(default_factory=list)  # (number, type, description)
    areas: list = field(default_factory=list)  # postcode districts and/or "Leeds"
    links: list = field(default_factory=list)  # (kind, to slug, note)
    assured_days_ago: int = 7
    status: str = "active"
    alert: str = ""
    email: str = ""  # local part


CROSS_TEAMS = "Northfield Community Mental Health Team, Early Intervention in Psychosis Service"

SERVICES = [
    # --- Northfield Health NHS Foundation Trust -------------------------------------------------
    Demo(
        "cmht",
        NHS,
        "Northfield Community Mental Health Team",
        "Assessment, care coordination and treatment for adults with severe or complex mental "
        "health problems.",
        "The community mental health team (CMHT) brings together community psychiatric nurses, "
        "psychiatrists, psychologists, occupational therapists, social workers and peer support "
        "workers. After an assessment we agree a care plan with you, and a care coordinator stays "
        "in touch while you need us. We can help with medication, psychological therapy, "
        "day-to-day coping and planning for a crisis. When you are ready, we help you move on to "
        "support in the community.",
        ["community-mental-health"],
        ["gp", "professional"],
        eligibility="Adults aged 18 and over registered with a GP in Northfield or Eastbrook, "
        "with severe or complex mental health needs such as psychosis, bipolar disorder, severe "
        "depression or a personality disorder.",
        referral_information="Name, date of birth, NHS number, GP, current medication, what has "
        "been tried so far, risk to self or others, and whether the person knows about and agrees "
        "to the referral.",
        exclusions="Not for people whose main need is drug or alcohol use (refer to Forward "
        "Steps). Not for mild to moderate anxiety or depression (refer to Northfield Talking "
        "Therapies). Under 18s are seen by CAMHS.",
        referral_form="/refer/cmht",
        referral_email="cmht.referrals",
        referral_phone="01632 960101",
        wait="about 4 weeks for a first assessment",
        ages=(18, None),
        languages=("English",),
        interpreting="Interpreters, including British Sign Language, booked for every "
        "appointment at no cost.",
        modes=("in_person", "phone"),
        at=[("ashgrove-house", "Mon-Fri 09:00-17:00", "")],
        contacts=[("", "Duty worker", "cmht.duty", "01632 960101")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=3,
        email="cmht",
    ),
    Demo(
        "crisis-team",
        NHS,
        "Northfield Crisis and Home Treatment Team",
        "Urgent help day and night for adults in a mental health crisis, at home where possible.",
        "If you are in a mental health crisis you can call us any time, day or night. We will "
        "talk with you about what is happening, and if you need more than a phone call we can see "
        "you the same day, usually at home. Home treatment means daily visits for a few weeks "
        "instead of a hospital admission. If you are already under a mental health team, call "
        "us directly. If life is at immediate risk, call 999.",
        ["crisis-support"],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over in Leeds who are in a mental health crisis and "
        "might otherwise need to go into hospital.",
        referral_information="Call the crisis line. Professionals: say who you are, the person's "
        "name, date of birth and address, what has happened today, and any immediate risk.",
        exclusions="Not for anyone whose life is at immediate risk: call 999. Under 18s: call "
        "the CAMHS crisis line. Not for people who are drunk or high; call back when sober.",
        referral_phone="01632 960100",
        wait="same day",
        ages=(18, None),
        interpreting="Telephone interpreters are available at any hour.",
        modes=("phone", "in_person"),
        phones=[("01632 960100", "voice", "Crisis line, 24 hours"), ("01632 960199", "text", "")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=2,
        email="crisis",
    ),
    Demo(
        "talking-therapies",
        NHS,
        "Northfield Talking Therapies",
        "Free NHS talking therapies for anxiety, depression and stress. Refer yourself online.",
        "We offer short courses of talking therapy for common problems such as worry, low mood, "
        "panic, phobias, obsessive-compulsive disorder (OCD) and post-traumatic stress. Options "
        "include guided self-help, online courses, group workshops, cognitive behavioural "
        "therapy (CBT), counselling for depression and EMDR. Appointments are by video, phone or "
        "face to face, including evenings. You do not need to see your GP first. (We used to "
        "be called Northfield IAPT.)",
        ["talking-therapies"],
        ["self", "gp", "professional"],
        eligibility="People aged 16 and over registered with a Leeds GP, with anxiety, "
        "depression or stress.",
        referral_information="Fill in the online self-referral form (about 10 minutes), or call. "
        "We ask for your GP's name and what you would like help with.",
        exclusions="Not for people currently under a community mental health team. Not for "
        "people in crisis: call the crisis line. Not for people whose main need is drug or "
        "alcohol use.",
        referral_form="/self-referral",
        referral_phone="01632 960110",
        wait="about 10 weeks for one-to-one therapy; workshops within 2 weeks",
        ages=(16, None),
        languages=("English", "Urdu", "Polish", "Punjabi"),
        interpreting="Interpreters for any other language, at no cost.",
        modes=("online", "phone", "in_person"),
        at=[("eastbrook-health-centre", "Mon-Thu 09:00-20:00; Fri 09:00-17:00", "")],
        contacts=[("", "Referrals team", "talkingtherapies", "01632 960110")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=5,
        email="talkingtherapies",
    ),
    Demo(
        "eip",
        NHS,
        "Early Intervention in Psychosis Service",
        "Fast assessment and up to three years of support after a first episode of psychosis.",
        "The early intervention in psychosis team (EIP) works with people who are hearing, "
        "seeing or believing things that others do not, for the first time: early help makes a "
        "real difference. We see people quickly, offer medication if "
        "it helps, family work, cognitive behavioural therapy for psychosis, and help with "
        "education, work and housing. Families and carers can talk to us too.",
        ["community-mental-health"],
        ["self", "gp", "professional"],
        eligibility="People aged 14 to 65 in Northfield or Eastbrook with a first episode of "
        "psychosis, or who may be developing psychosis.",
        referral_information="Name, date of birth, GP, what has been noticed and for how long, "
        "any drug use, and the best way to make contact.",
        exclusions="Not for people whose psychosis is caused by a physical illness, dementia or "
        "a learning disability. Not for people already treated for psychosis for more than "
        "three years.",
        referral_phone="01632 960102",
        referral_email="eip.referrals",
        wait="first appointment within 2 weeks",
        ages=(14, 65),
        modes=("in_person", "phone"),
        at=[("ashgrove-house", "Mon-Fri 09:00-17:00", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=10,
        email="eip",
    ),
    Demo(
        "peer-support-workers",
        NHS,
        "NHS Peer Support Workers",
        "One-to-one support from staff who have their own experience of mental ill health.",
        "Our peer support workers have been through mental ill health themselves and are trained "
        "to use that experience to help. They can meet you for a coffee, go with you to a new "
        "group for the first time, or help you write a recovery plan. Up to twelve sessions.",
        ["peer-support"],
        ["named_teams"],
        named_teams="Northfield Community Mental Health Team, Northfield Crisis and Home "
        "Treatment Team, Early Intervention in Psychosis Service",
        eligibility="Adults currently supported by one of the named NHS teams.",
        referral_information="Ask the person's care coordinator to refer through the care record.",
        wait="about 3 weeks",
        at=[("ashgrove-house", "Mon-Fri 09:00-17:00", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=20,
        email="peersupport",
    ),
    Demo(
        "healthy-minds-clinic",
        NHS,
        "Healthy Minds Physical Health Clinic",
        "Yearly physical health checks for people on long-term mental health medication.",
        "People with serious mental illness die on average fifteen to twenty years earlier than "
        "others, mostly from preventable physical illness. Our nurses check blood pressure, "
        "weight, blood sugar and cholesterol, and talk about smoking, sleep and side effects of "
        "medication. We send the results to your GP.",
        ["physical-health"],
        ["named_teams", "gp"],
        named_teams=CROSS_TEAMS,
        eligibility="Adults on antipsychotic medication or lithium, or with a diagnosis of "
        "serious mental illness.",
        referral_information="GP or care coordinator: name, date of birth, NHS number, "
        "current medication and any recent blood results.",
        wait="about 2 weeks",
        at=[("ashgrove-house", "Tue 09:30-16:00; Thu 13:00-19:00", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=40,
        email="healthyminds",
    ),
    Demo(
        "forward-steps",
        NHS,
        "Forward Steps Drug and Alcohol Service",
        "Help to cut down or stop using drugs or alcohol, including detox and needle exchange.",
        "Whatever your relationship with drugs or alcohol, you can talk to us without being "
        "judged. We offer a key worker, groups, opiate substitute prescribing, supported alcohol "
        "detox, needle and syringe exchange, naloxone and blood-borne virus testing. Families "
        "affected by someone else's drinking or drug use can get support too. Walk in during our "
        "drop-in times or call to book.",
        ["substance-use"],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over living in Leeds. Young people: ask about our "
        "under-18s worker.",
        referral_information="Walk in or call. Professionals: name, date of birth, substances "
        "used and how much, and any safeguarding concerns.",
        exclusions="Not a medical emergency service: for an overdose or withdrawal fit call 999.",
        referral_phone="01632 960120",
        wait="seen on the day at drop-in; prescribing within 2 weeks",
        modes=("in_person", "phone"),
        languages=("English", "Polish"),
        at=[("forward-steps", "Mon-Fri 09:00-17:00", "Drop-in Monday and Wednesday mornings")],
        contacts=[("", "Duty worker", "forwardsteps", "01632 960120")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=12,
        email="forwardsteps",
    ),
    # --- Northfield Council Adult Social Care ---------------------------------------------------
    Demo(
        "care-assessment",
        COUNCIL,
        "Adult Social Care Needs Assessment",
        "A Care Act assessment of the help an adult needs to live well, and who pays for it.",
        "If you find it hard to manage everyday things like washing, cooking, getting out or "
        "keeping safe, because of a disability, illness or mental health problem, you have a "
        "right to an assessment. A social worker talks with you about what matters to you and "
        "what help you need. If you are eligible you get a personal budget, which can pay for "
        "carers, day activities or a direct payment you manage yourself. There may be a charge "
        "depending on your income and savings.",
        [],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over living in Leeds who may need care and support.",
        referral_information="Call the adult social care contact centre or use the online "
        "form: the person's name, address, date of birth, what they are struggling with, and "
        "whether they agree to the assessment.",
        exclusions="Not for children: contact children's social care.",
        referral_form="/contact/assessment",
        referral_phone="01632 960130",
        wait="about 6 weeks; urgent cases within 2 working days",
        interpreting="Interpreters and British Sign Language at no cost.",
        modes=("phone", "in_person"),
        fees="The assessment is free. Care and support may be charged for, depending on a "
        "financial assessment.",
        phones=[
            ("01632 960130", "voice", "Contact centre, Monday to Friday 8am to 6pm"),
            ("01632 960131", "voice", "Emergency duty team, evenings and weekends"),
        ],
        areas=[LOCAL_AUTHORITY],
        links=[],
        assured_days_ago=9,
        email="adultsocialcare",
    ),
    Demo(
        "housing-options",
        COUNCIL,
        "Housing Options and Homelessness Prevention",
        "Help if you are homeless, or might lose your home in the next eight weeks.",
        "Talk to us as soon as you are worried about losing your home. We can negotiate with "
        "landlords, help with rent arrears, find emergency accommodation and help you apply for "
        "council housing. If you have nowhere to sleep tonight, call us and we will help.",
        ["homelessness", "housing"],
        ["self", "professional"],
        eligibility="Anyone in Leeds who is homeless or at risk of homelessness.",
        referral_information="Call or walk in. Professionals can use the Duty to Refer form: "
        "name, contact details, current address and why the home is at risk.",
        referral_form="/housing/duty-to-refer",
        referral_phone="01632 960135",
        wait="seen the same day if homeless tonight",
        modes=("in_person", "phone"),
        at=[("civic-centre", "Mon-Fri 09:00-17:00", "")],
        phones=[
            ("01632 960135", "voice", "Housing options"),
            ("01632 960136", "voice", "Out of hours homelessness line"),
        ],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=15,
        email="housingoptions",
    ),
    Demo(
        "local-area-coordination",
        COUNCIL,
        "Local Area Coordination",
        "A local coordinator who helps you find people, groups and places nearby.",
        "Local area coordinators are based in the community, not an office. They get to know "
        "you, what you are good at and what you would like to change, and help you connect with "
        "neighbours, community groups and local services. There is no time limit and no "
        "assessment.",
        ["social-groups"],
        ["self", "gp", "professional"],
        eligibility="Anyone aged 18 and over living in Northfield.",
        referral_information="Call or email your local coordinator with your name and how to "
        "reach you.",
        wait="usually within a week",
        modes=("in_person", "phone"),
        contacts=[("Sam Okafor", "Local area coordinator", "lac.northfield", "01632 960137")],
        areas=["LS6", "LS7"],
        assured_days_ago=25,
        email="lac",
    ),
    # --- Northfield Mind ------------------------------------------------------------------------
    Demo(
        "mind-drop-in",
        MIND,
        "Northfield Mind Drop-in",
        "A friendly drop-in with tea, company and someone to talk to. No appointment needed.",
        "Come along for a cup of tea, a chat or just to be around other people. Staff and "
        "volunteers are there to listen and can tell you about other support. There are board "
        "games, papers and a quiet room. Many people come here after leaving the community "
        "mental health team.",
        ["peer-support", "social-groups"],
        ["self"],
        eligibility="Adults aged 18 and over with experience of mental ill health.",
        referral_information="Just drop in. No referral needed.",
        wait="no wait",
        at=[("mind-centre", "Tue,Thu 10:00-15:00", "")],
        contacts=[("Priya Shah", "Drop-in coordinator", "dropin", "01632 960140")],
        areas=[*NORTHFIELD],
        links=[
            ("step_down_from", "cmht", "For people leaving the CMHT who want company and routine.")
        ],
        assured_days_ago=4,
        email="hello",
    ),
    Demo(
        "mind-peer-support",
        MIND,
        "Northfield Mind Peer Support Group",
        "A weekly evening group led by people with lived experience of mental ill health.",
        "A small, confidential group where people share what helps and what does not. Two "
        "trained peer facilitators run each session. You can listen for as long as you like "
        "before you talk. Many people come while they wait for talking therapy.",
        ["peer-support"],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over who are struggling with their mental health.",
        referral_information="Email or call to say you are coming, so a facilitator can meet "
        "you at the door the first time.",
        exclusions="Not a crisis service.",
        referral_email="peersupport",
        wait="no wait",
        at=[("mind-centre", "Wed 18:00-20:00", "")],
        phones=[("01632 960141", "voice", "")],
        areas=[*NORTHFIELD],
        links=[
            (
                "while_you_wait",
                "talking-therapies",
                "Somewhere to go each week while waiting for therapy.",
            )
        ],
        assured_days_ago=6,
        email="peersupport",
    ),
    Demo(
        "rainbow-minds",
        MIND,
        "Rainbow Minds LGBTQ+ Peer Group",
        "A peer support group for lesbian, gay, bisexual, trans and queer adults.",
        "A relaxed evening group for LGBTQ+ people to talk about mental health, identity and "
        "everything else, with people who get it. Run by LGBTQ+ volunteers.",
        ["peer-support", "social-groups"],
        ["self"],
        eligibility="LGBTQ+ adults aged 18 and over.",
        referral_information="Just come along, or email first if you would like to be met.",
        wait="no wait",
        at=[("mind-centre", "Mon 18:30-20:30", "First and third Monday of the month")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=27,
        email="rainbowminds",
    ),
    Demo(
        "mind-advocacy",
        MIND,
        "Northfield Mind Advocacy",
        "Independent advocates who help you have your say about your care and treatment.",
        "An advocate is on your side and independent of the NHS and the council. We provide "
        "independent mental health advocacy (IMHA) for people detained under the Mental Health "
        "Act, Care Act advocacy for social care assessments, and general community advocacy. We "
        "can help you prepare for meetings, come with you, or speak for you.",
        ["advocacy"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over in Leeds. IMHA: anyone detained or on a community "
        "treatment order.",
        referral_information="Name, contact details, which kind of advocacy, and the date of any "
        "meeting or tribunal coming up.",
        exclusions="We cannot give legal advice; we can help you find a solicitor.",
        referral_email="advocacy",
        referral_phone="01632 960142",
        wait="about 2 weeks; IMHA within 2 working days",
        modes=("in_person", "phone"),
        at=[("mind-centre", "Mon-Fri 09:30-16:30", "")],
        areas=[LOCAL_AUTHORITY],
        links=[("used_alongside", "care-assessment", "Care Act advocacy for the assessment.")],
        assured_days_ago=11,
        email="advocacy",
    ),
    Demo(
        "lantern",
        MIND,
        "The Lantern Safe Haven",
        "An evening crisis café: somewhere safe to go when things feel too much, instead of A&E.",
        "The Lantern is a calm, welcoming space open every evening. You can talk to trained "
        "staff and volunteers with lived experience, have a hot drink, and make a plan for "
        "getting through the night. No appointment and no referral needed. We work closely with "
        "the crisis team and can call them with you.",
        ["crisis-cafe"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over in Leeds who are in distress or crisis.",
        referral_information="Just turn up, or call ahead so we expect you.",
        exclusions="Not for people who need medical attention or are very drunk: go to A&E or "
        "call 999.",
        referral_phone="01632 960143",
        wait="no wait",
        modes=("in_person", "phone"),
        at=[("lantern", "Mon-Sun 18:00-23:00", "")],
        areas=[LOCAL_AUTHORITY],
        links=[
            (
                "used_alongside",
                "crisis-team",
                "The crisis team refers people here, and staff can call the team with you.",
            )
        ],
        assured_days_ago=2,
        email="lantern",
    ),
    Demo(
        "walk-and-talk",
        MIND,
        "Eastbrook Mind Walk and Talk",
        "A gentle walking group round Eastbrook Park, with a cuppa at the end.",
        "Walking side by side makes talking easier. This friendly group walks a flat 45-minute "
        "loop of the park at an easy pace, whatever the weather, then has a drink at the park "
        "café. Volunteers walk at the back so nobody is left behind.",
        ["physical-activity", "social-groups"],
        ["self"],
        eligibility="Adults aged 18 and over. Wear comfortable shoes.",
        referral_information="Just meet us at the main gates.",
        wait="no wait",
        at=[("eastbrook-park-gates", "Fri 10:30-12:00", "")],
        areas=[*EASTBROOK],
        assured_days_ago=14,
        email="hello",
    ),
    Demo(
        "befriending",
        MIND,
        "Northfield Mind Telephone Befriending",
        "Weekly friendly phone calls from a volunteer. This service has closed.",
        "Our telephone befriending service closed in March when its funding ended. The Mind "
        "drop-in and peer support group are still open.",
        ["social-groups"],
        ["self", "professional"],
        eligibility="Adults who felt isolated.",
        referral_information="No longer taking referrals.",
        accepting="no",
        modes=("phone",),
        areas=[*NORTHFIELD],
        assured_days_ago=60,
        status="defunct",
        email="hello",
    ),
    # --- Citizens Advice Northfield -------------------------------------------------------------
    Demo(
        "citizens-advice",
        CAB,
        "Citizens Advice Northfield",
        "Free, confidential advice on benefits, debt, housing, work and consumer problems.",
        "Our advisers help with benefit claims and appeals, including PIP and Universal Credit, "
        "debt and money problems, housing and rent arrears, employment rights and energy bills. "
        "We can fill in forms with you and speak to creditors for you. Come to a drop-in, call "
        "the advice line or ask for an appointment.",
        ["benefits-advice", "debt-advice"],
        ["self", "professional"],
        eligibility="Anyone who lives or works in Leeds.",
        referral_information="Drop in or call. Professionals can use the online referral form "
        "with the person's consent: name, phone number, the problem and any deadlines.",
        referral_form="/refer",
        referral_phone="01632 960150",
        wait="seen at drop-in the same day; appointments within 2 weeks",
        ages=(16, None),
        languages=("English", "Urdu", "Arabic"),
        interpreting="Telephone interpreters for other languages.",
        modes=("in_person", "phone", "online"),
        at=[
            ("cab-office", "Mon,Wed,Fri 09:30-15:30", "Drop-in"),
            ("millbridge-library", "Tue 10:00-13:00", "Outreach"),
        ],
        phones=[("01632 960150", "voice", "Advice line, Monday to Friday 10am to 4pm")],
        areas=[LOCAL_AUTHORITY],
        links=[
            (
                "used_alongside",
                "tenancy-support",
                "Benefits and arrears advice alongside help to keep a tenancy.",
            )
        ],
        assured_days_ago=8,
        email="advice",
    ),
    Demo(
        "help-to-claim",
        CAB,
        "Help to Claim Universal Credit",
        "Phone and online help to make a Universal Credit claim, up to your first payment.",
        "Our Help to Claim advisers can help you set up an online account, gather the "
        "information you need, and make and manage your claim until the first full payment.",
        ["benefits-advice"],
        ["self"],
        eligibility="Anyone in Leeds making a new claim for Universal Credit.",
        referral_information="Call or use web chat. Have your National Insurance number and "
        "bank details ready if you can.",
        referral_phone="01632 960151",
        wait="usually answered within 20 minutes",
        languages=("English", "Welsh"),
        modes=("phone", "online"),
        phones=[("01632 960151", "voice", "Monday to Friday 8am to 6pm")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=18,
        email="helptoclaim",
    ),
    Demo(
        "money-advice-clinic",
        CAB,
        "Money Advice Clinic at Ashgrove House",
        "Debt and benefits appointments at the community mental health team's building.",
        "A Citizens Advice money adviser holds appointments at Ashgrove House every Thursday, "
        "so people under the community mental health team can get debt and benefits advice in "
        "a place they already know. Care coordinators can come to the appointment too.",
        ["debt-advice", "benefits-advice"],
        ["named_teams"],
        named_teams=CROSS_TEAMS,
        eligibility="Adults supported by the named NHS teams.",
        referral_information="Care coordinator books through the clinic email: name, phone "
        "number, the problem and any deadlines such as court dates.",
        referral_email="clinic",
        wait="about 3 weeks",
        at=[("cab-ashgrove", "Thu 09:30-13:00", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        links=[("used_alongside", "cmht", "")],
        assured_days_ago=213,  # seven months: a reminder is due
        email="clinic",
    ),
    # --- The Old Bell Arts for Recovery ---------------------------------------------------------
    Demo(
        "open-art-studio",
        OLD_BELL,
        "Open Art Studio",
        "Drop-in painting, drawing and printmaking in a friendly studio. Materials provided.",
        "Try painting, drawing, lino printing or collage alongside other people, at your own "
        "pace. An artist is on hand to help if you want it, and there is no pressure to show "
        "anyone your work. Tea and biscuits included.",
        ["creative-arts"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over with experience of mental ill health.",
        referral_information="Just come along, or ring to book a first visit.",
        wait="no wait",
        at=[("old-bell", "Mon,Thu 13:00-16:00", "")],
        phones=[("01632 960160", "voice", "")],
        areas=[*EASTBROOK],
        assured_days_ago=5,
        email="studio",
    ),
    Demo(
        "music-for-recovery",
        OLD_BELL,
        "Music for Recovery",
        "Play, sing or learn an instrument with others. No experience needed.",
        "A weekly evening music session in our music room: guitars, keyboards, drums and "
        "voices. Some people write songs, some just listen at first. We put on a show twice a "
        "year for anyone who wants to perform.",
        ["creative-arts"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over.",
        referral_information="Ring or email to say you are coming.",
        wait="no wait",
        free=False,
        fees="£2 a session, free for anyone on benefits.",
        at=[("old-bell", "Wed 18:00-20:00", "")],
        phones=[("01632 960161", "voice", "")],
        areas=[*EASTBROOK],
        assured_days_ago=22,
        email="music",
    ),
    Demo(
        "writing-for-wellbeing",
        OLD_BELL,
        "Writing for Wellbeing",
        "A small writing group: poems, stories and life writing, led by a published writer.",
        "Short writing exercises, time to write and a chance to share if you want to. Everyone "
        "is welcome, whatever your spelling or handwriting.",
        ["creative-arts"],
        ["self"],
        eligibility="Adults aged 18 and over.",
        referral_information="Email to join the group.",
        accepting="no",
        at=[("old-bell", "Tue 10:30-12:30", "")],
        areas=[*EASTBROOK],
        assured_days_ago=16,
        status="temporarily closed",
        alert="Paused while our writer is on leave. We hope to start again in the spring.",
        email="writing",
    ),
    # --- Voices Together Hearing Voices Group ---------------------------------------------------
    Demo(
        "hearing-voices",
        VOICES,
        "Northfield Hearing Voices Group",
        "A peer-led group for people who hear voices, see visions or have unusual experiences.",
        "A safe space to talk about voices and other unusual experiences, in your own words, "
        "with people who have been there. The group accepts whatever explanation you have for "
        "your experiences. Confidential, and run by people who hear voices themselves.",
        ["hearing-voices"],
        ["self"],
        eligibility="Adults aged 18 and over who hear voices or have unusual experiences.",
        referral_information="Just come along. You can bring a friend or supporter the first time.",
        wait="no wait",
        at=[("park-community-centre", "Wed 14:00-16:00", "")],
        contacts=[("", "Group facilitators", "group", "01632 960170")],
        areas=[*NORTHFIELD],
        links=[("used_alongside", "eip", "Many members also see the early intervention team.")],
        assured_days_ago=45,
        email="group",
    ),
    Demo(
        "voices-online",
        VOICES,
        "Voices Together Online Group",
        "The hearing voices group on Zoom, for people who cannot get to the meetings.",
        "The same peer-led hearing voices group, online every Sunday evening. Cameras off is fine.",
        ["hearing-voices"],
        ["self"],
        eligibility="Adults aged 18 and over living in Leeds.",
        referral_information="Email for the link. We ask for a first name only.",
        referral_email="online",
        wait="no wait",
        modes=("online",),
        at=[("voices-online", "Sun 19:00-20:30", "")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=45,
        email="online",
    ),
    # --- Eastbrook Wellbeing Web Network --------------------------------------------------------
    Demo(
        "social-media-surgery",
        WEB,
        "Eastbrook Social Media Surgery",
        "Free drop-in help with social media, websites and being online, for people and groups.",
        "Bring a laptop, tablet or phone (or use ours) and a volunteer will sit with you to help "
        "with whatever you need online: setting up email, video calls with family, staying safe "
        "on Facebook, or a website for your community group.",
        ["digital-skills"],
        ["self"],
        eligibility="Anyone. Community groups and charities welcome.",
        referral_information="Just drop in.",
        wait="no wait",
        ages=(None, None),
        at=[("eastbrook-library", "Thu 17:30-19:30", "First Thursday of the month")],
        areas=[*EASTBROOK, *MILLBRIDGE],
        assured_days_ago=3,
        email="surgery",
    ),
    Demo(
        "device-lending",
        WEB,
        "Device Lending and Data Bank",
        "Borrow a tablet or laptop and get free mobile data for up to three months.",
        "For people who cannot afford a device or data. We lend refurbished tablets and laptops "
        "and give free SIM cards with data, with a short session on getting started.",
        ["digital-skills"],
        ["self", "professional"],
        eligibility="Adults in Eastbrook and Millbridge on a low income.",
        referral_information="Come to the Saturday session with proof of address.",
        wait="about 2 weeks for a laptop",
        at=[("eastbrook-library", "Sat 10:00-12:00", "")],
        areas=[*EASTBROOK, *MILLBRIDGE],
        assured_days_ago=396,  # thirteen months: stale
        email="devices",
    ),
    # --- Northfield College ---------------------------------------------------------------------
    Demo(
        "recovery-college",
        COLLEGE,
        "Northfield Recovery College",
        "Free courses about mental health and recovery, designed and taught with peers.",
        "Every course is written and taught by a tutor with lived experience alongside a "
        "professional. Courses this term include Understanding Anxiety, Sleep Well, Building "
        "Confidence, Living with Voices, Managing Money and Wellbeing, and Planning Your "
        "Recovery. Enrol on as many as you like; there are no exams.",
        ["recovery-college", "learning"],
        ["self", "gp", "professional"],
        eligibility="Anyone aged 18 and over in Leeds with experience of mental ill health, "
        "their family and friends, and staff.",
        referral_information="Enrol online or at reception. No referral needed.",
        referral_form="/recovery-college/enrol",
        wait="next term starts in 3 weeks",
        modes=("in_person", "online"),
        at=[("college-city-campus", "Mon-Fri 10:00-15:00", "Term time")],
        contacts=[("Jo Whitaker", "Recovery college coordinator", "recoverycollege", "")],
        phones=[("01632 960180", "voice", "")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=1,
        email="recoverycollege",
    ),
    Demo(
        "confidence-courses",
        COLLEGE,
        "Confidence and Wellbeing Evening Courses",
        "Six-week adult learning courses: assertiveness, mindfulness and public speaking.",
        "Evening courses for adults who want to feel more confident at work and at home. Small "
        "classes, friendly tutors, and a certificate at the end.",
        ["learning"],
        ["self"],
        eligibility="Adults aged 19 and over.",
        referral_information="Enrol online or at reception.",
        referral_form="/courses/wellbeing",
        wait="next course starts in 4 weeks",
        ages=(19, None),
        free=False,
        fees="£45 for six weeks. Free if you receive a means-tested benefit.",
        at=[("college-city-campus", "Tue 18:00-20:00", "Term time")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=35,
        email="courses",
    ),
    # --- Millbridge Recovery Café ---------------------------------------------------------------
    Demo(
        "recovery-cafe",
        CAFE,
        "Millbridge Recovery Café",
        "An evening café run by and for people in recovery from addiction or mental ill health.",
        "Good food, good company and no alcohol. Volunteers in recovery themselves cook a hot "
        "meal and keep the kettle on. There are quiz nights and open mic nights, and a mutual aid "
        "meeting before the café opens on Wednesdays.",
        ["peer-support", "substance-use", "social-groups"],
        ["self"],
        eligibility="Anyone in recovery, and their family and friends.",
        referral_information="Just come in.",
        exclusions="Please do not come if you have been drinking or using that day.",
        wait="no wait",
        ages=(18, None),
        fees="Meals are pay what you can.",
        at=[("methodist-hall", "Wed,Fri 18:00-21:00; Sat 12:00-16:00", "")],
        areas=[*MILLBRIDGE],
        assured_days_ago=28,
        email="cafe",
    ),
    Demo(
        "smart-recovery",
        CAFE,
        "SMART Recovery Meeting",
        "A weekly self-help meeting for people who want to change their drinking or drug use.",
        "SMART Recovery uses practical tools based on cognitive behavioural therapy to help you "
        "manage urges, solve problems and build a life you want. Meetings are led by a trained "
        "volunteer. You can come whether you want to stop completely or cut down.",
        ["substance-use", "peer-support"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over.",
        referral_information="Just come along.",
        wait="no wait",
        at=[("eastbrook-community-centre", "Mon 18:30-20:00", "")],
        areas=[*EASTBROOK, *MILLBRIDGE],
        links=[("used_alongside", "forward-steps", "")],
        assured_days_ago=19,
        email="smart",
    ),
    # --- Northfield Carers Centre ---------------------------------------------------------------
    Demo(
        "carers-support",
        CARERS,
        "Carers Support Service",
        "Information, a carer's assessment, breaks and emotional support for unpaid carers.",
        "If you look after someone who could not manage without you, we can help you look after "
        "yourself too. We offer a carer's assessment on behalf of the council, small grants for "
        "a break, help with Carer's Allowance, training, and a listening ear.",
        ["carers"],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over caring, unpaid, for someone in Leeds.",
        referral_information="Call or fill in the online form with your name, contact details "
        "and who you care for.",
        exclusions="Not for paid care workers.",
        referral_form="/refer",
        referral_phone="01632 960190",
        wait="about 2 weeks for a carer's assessment",
        languages=("English", "Urdu", "Bengali"),
        modes=("in_person", "phone"),
        at=[("carers-centre", "Mon-Fri 09:00-17:00", "")],
        phones=[("01632 960190", "voice", "Carers advice line")],
        areas=[LOCAL_AUTHORITY],
        links=[("used_alongside", "care-assessment", "")],
        assured_days_ago=7,
        email="support",
    ),
    Demo(
        "young-carers",
        CARERS,
        "Northfield Young Carers",
        "After-school clubs, trips and one-to-one support for children who care for a family "
        "member.",
        "For children and young people who help look after a parent, brother or sister with an "
        "illness, disability, mental health problem or addiction. Fun clubs, days out, and "
        "someone to talk to. We work with schools to make sure young carers get support there.",
        ["carers"],
        ["self", "professional"],
        eligibility="Children and young people aged 8 to 17 living in Northfield.",
        referral_information="A parent, school or professional can refer with the child's name, "
        "age, school and who they care for.",
        exclusions="Young adult carers aged 18 to 25: see the Carers Support Service.",
        referral_email="youngcarers",
        wait="about 4 weeks",
        ages=(8, 17),
        at=[("carers-centre", "Wed 16:00-18:00", "Term time")],
        areas=[*NORTHFIELD],
        assured_days_ago=13,
        email="youngcarers",
    ),
    Demo(
        "mental-health-carers-group",
        CARERS,
        "Mental Health Carers Group",
        "A monthly support group for family and friends of someone with a mental illness.",
        "Meet other carers who understand, share what works, and hear from guest speakers such "
        "as the crisis team and the advocacy service.",
        ["carers", "peer-support"],
        ["self", "professional"],
        eligibility="Adults caring for someone with a mental health problem.",
        referral_information="Just come along, or call first.",
        wait="no wait",
        at=[("carers-centre", "Thu 18:00-20:00", "Second Thursday of the month")],
        phones=[("01632 960191", "voice", "")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=21,
        email="support",
    ),
    # --- Pathways Supported Housing -------------------------------------------------------------
    Demo(
        "tenancy-support",
        PATHWAYS,
        "Pathways Tenancy Support",
        "Visits at home to help you keep your tenancy: bills, rent, repairs and neighbours.",
        "A support worker visits you at home, usually once a week, to help with whatever puts "
        "your home at risk: rent arrears, bills, letters, repairs, benefits or problems with "
        "neighbours. Support lasts up to two years.",
        ["housing"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over with a mental health problem, living in their own "
        "tenancy in Northfield or Eastbrook.",
        referral_information="Online form: name, address, landlord, what is putting the tenancy "
        "at risk, and any risks to lone workers.",
        exclusions="Not for people in supported accommodation, which has its own staff.",
        referral_form="/refer/tenancy-support",
        wait="about 5 weeks",
        modes=("in_person", "phone"),
        at=[("pathways-house", "Mon-Fri 09:00-17:00", "Office; support is at home")],
        phones=[("01632 960200", "voice", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=10,
        email="tenancy",
    ),
    Demo(
        "supported-accommodation",
        PATHWAYS,
        "Pathways Supported Accommodation",
        "Shared houses with staff on site, for people leaving hospital or moving on from a crisis.",
        "Eighteen bedsits across three shared houses, with staff on site from 8am to 10pm and "
        "on call overnight. Residents have a support plan and work towards moving on to their "
        "own home, usually within two years.",
        ["supported-housing"],
        ["named_teams"],
        named_teams="Northfield Community Mental Health Team, inpatient wards of Northfield "
        "Health NHS Foundation Trust",
        eligibility="Adults aged 18 to 64 with a mental health problem who need support to live "
        "independently.",
        referral_information="Referral form with a current risk assessment and care plan, from "
        "the care coordinator or ward.",
        exclusions="Not for people who need nursing care or 24-hour waking staff.",
        referral_form="/refer/accommodation",
        accepting="no",
        wait="waiting list closed until a room is free",
        ages=(18, 64),
        free=False,
        fees="Rent and service charge, usually covered by Housing Benefit.",
        at=[("pathways-house", "Mon-Fri 09:00-17:00", "Office")],
        areas=[*NORTHFIELD, *EASTBROOK],
        assured_days_ago=10,
        email="accommodation",
    ),
    # --- Eastbrook Employment Support Service ---------------------------------------------------
    Demo(
        "ips",
        WORK,
        "Individual Placement and Support (IPS)",
        "An employment specialist who helps you find and keep a paid job you want.",
        "IPS is for anyone who wants to work, whatever their diagnosis or history. Your "
        "employment specialist works with your mental health team, helps you look for jobs that "
        "suit you, talks to employers, and keeps supporting you once you start. We also give "
        "benefits advice about working.",
        ["employment-support"],
        ["named_teams"],
        named_teams=CROSS_TEAMS,
        eligibility="Adults of working age supported by one of the named NHS teams who want "
        "paid work.",
        referral_information="Care coordinator refers by email with the person's name, contact "
        "details and the kind of work they are interested in.",
        referral_email="ips",
        wait="about 2 weeks",
        ages=(18, 66),
        modes=("in_person", "phone"),
        at=[("employment-hub", "Mon-Fri 09:00-17:00", "")],
        contacts=[("Marek Nowak", "IPS team leader", "ips", "01632 960210")],
        areas=[*NORTHFIELD, *EASTBROOK],
        links=[("used_alongside", "cmht", "Employment specialists sit in the CMHT.")],
        assured_days_ago=6,
        email="ips",
    ),
    Demo(
        "volunteering-pathways",
        WORK,
        "Eastbrook Volunteering Pathways",
        "Find a volunteering role that suits you, with support to get started.",
        "Volunteering is a good way to build confidence, routine and experience. We match you "
        "with local charities, go with you to your first session if you want, and check in "
        "regularly.",
        ["volunteering"],
        ["self", "professional"],
        eligibility="Adults aged 18 and over in Eastbrook.",
        referral_information="Drop in on Tuesdays or email.",
        wait="no wait",
        at=[("employment-hub", "Tue 10:00-14:00", "")],
        areas=[*EASTBROOK],
        assured_days_ago=33,
        email="volunteering",
    ),
    # --- Millbridge Community Allotments --------------------------------------------------------
    Demo(
        "growing-together",
        ALLOTMENTS,
        "Growing Together Allotment Sessions",
        "Gardening sessions on a shared allotment: grow vegetables, learn and take some home.",
        "Join our friendly gardeners to grow tomatoes, potatoes, beans and herbs, look after the "
        "bees and cook what we grow on the fire pit. No experience needed; tools, gloves and "
        "boots are provided. GPs and social prescribers often suggest us.",
        ["physical-activity", "social-groups"],
        ["self", "gp", "professional"],
        eligibility="Adults aged 18 and over.",
        referral_information="Call or just turn up at the gate.",
        wait="no wait",
        modes=("in_person",),
        at=[("allotments", "Tue,Sat 10:00-13:00", "")],
        phones=[("01632 960220", "voice", "")],
        areas=[*MILLBRIDGE],
        assured_days_ago=17,
        email="grow",
    ),
    Demo(
        "millbridge-walking-group",
        ALLOTMENTS,
        "Millbridge Walking Group",
        "A Sunday morning walking group along the canal and through the woods.",
        "A friendly group that walks about three miles at a steady pace, starting and finishing "
        "at the allotment gate. Walks are led by trained volunteer walk leaders.",
        ["physical-activity", "social-groups"],
        ["self"],
        eligibility="Adults aged 18 and over who can walk three miles.",
        referral_information="Just turn up.",
        wait="no wait",
        at=[("allotments", "Sun 10:00-11:30", "")],
        areas=[*MILLBRIDGE],
        assured_days_ago=400,  # thirteen months: stale
        email="walks",
    ),
    # --- Northfield Women's Aid -----------------------------------------------------------------
    Demo(
        "refuge",
        WOMENS_AID,
        "Northfield Women's Refuge",
        "Safe, confidential accommodation for women and their children escaping domestic abuse.",
        "Our refuge has eight family rooms at a confidential address in Northfield, with "
        "support workers on site every day. We help with safety planning, benefits, legal "
        "advice, school places and finding a new home. Children have their own support worker.",
        ["homelessness", "supported-housing"],
        ["self", "professional"],
        eligibility="Women aged 16 and over, with or without children, who are experiencing "
        "domestic abuse.",
        referral_information="Call the helpline. We will talk through safety and whether a "
        "place here is right for you. Professionals: do not share the address with anyone.",
        exclusions="We cannot take women whose abuser lives in or near Northfield; we will "
        "help find a refuge elsewhere.",
        referral_phone="01632 960230",
        wait="depends on space; we will find a refuge elsewhere if we are full",
        ages=(16, None),
        languages=("English", "Urdu", "Polish"),
        interpreting="Interpreters at no cost.",
        at=[("refuge", "Mon-Sun 00:00-23:59", "Staffed every day; on call overnight")],
        areas=[LOCAL_AUTHORITY],
        links=[
            (
                "used_alongside",
                "housing-options",
                "Housing options help women move on from the refuge to a home of their own.",
            )
        ],
        assured_days_ago=4,
        email="refuge",
    ),
    Demo(
        "domestic-abuse-helpline",
        WOMENS_AID,
        "Domestic Abuse Helpline and Outreach",
        "Confidential advice and support for anyone affected by domestic abuse.",
        "Call the helpline to talk in confidence. Our outreach workers can meet you somewhere "
        "safe, help with safety planning, court and housing, and support you for as long as you "
        "need.",
        ["crisis-support", "advocacy"],
        ["self", "professional"],
        eligibility="Anyone aged 16 and over affected by domestic abuse in Leeds.",
        referral_information="Call the helpline. Professionals: a MARAC referral or the "
        "outreach form, with a safe way to make contact.",
        wait="outreach within 1 week",
        ages=(16, None),
        languages=("English", "Urdu", "Polish"),
        modes=("phone", "in_person"),
        at=[("helpline", "Mon-Fri 09:00-21:00; Sat,Sun 10:00-16:00", "")],
        phones=[("01632 960230", "voice", "Helpline")],
        areas=[LOCAL_AUTHORITY],
        assured_days_ago=4,
        email="helpline",
    ),
    # --- Northfield Community Food Bank ---------------------------------------------------------
    Demo(
        "food-bank",
        FOOD_BANK,
        "Northfield Community Food Bank",
        "Three days of emergency food, toiletries and a warm welcome, with a voucher.",
        "If you cannot afford food, a voucher from an agency such as Citizens Advice, your GP, "
        "a support worker or the council gets you a parcel with three days of nutritionally "
        "balanced food. Volunteers will chat over a hot drink and can point you to help with the "
        "cause, such as money advice.",
        ["food"],
        ["gp", "professional"],
        eligibility="Anyone in Northfield or Eastbrook in crisis who cannot afford food.",
        referral_information="Referral agencies issue an e-voucher with the person's name, "
        "household size and any dietary needs.",
        exclusions="Usually no more than three vouchers in six months; we will talk with you "
        "about what else could help.",
        wait="same day",
        ages=(None, None),
        at=[
            ("st-marks", "Tue,Fri 11:00-14:00", ""),
            ("eastbrook-baptist", "Thu 12:00-15:00", ""),
        ],
        phones=[("01632 960240", "voice", "")],
        areas=[*NORTHFIELD, *EASTBROOK],
        links=[("used_alongside", "citizens-advice", "Money advice for what led to the crisis.")],
        assured_days_ago=9,
        email="info",
    ),
]


# --- Building snapshots ------------------------------------------------------------------------


def service_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"service:{slug}")


def location_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"location:{slug}")


def _org_slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)[:80]


def _domain(organisation: str) -> str:
    return f"{_org_slug(organisation)}.example.org"


def _hours(spec: str, notes: str) -> list[dict]:
    """ "Mon-Fri 09:00-17:00; Sat,Sun 10:00-16:00" as snapshot schedules."""
    schedules = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days, times = part.split(" ")
        opens, closes = times.split("-")
        weekdays = []
        for item in days.split(","):
            first, _, last = item.partition("-")
            weekdays += range(DAYS[first], DAYS[last or first] + 1)
        schedules += [
            {"weekday": d, "opens_at": opens, "closes_at": closes, "notes": notes} for d in weekdays
        ]
    return sorted(schedules, key=lambda s: (s["weekday"], s["opens_at"]))


def _location(slug: str, spec: str, notes: str) -> dict:
    place = PLACES[slug]
    mapped = place.location_type == "physical" and not place.confidential
    latitude, longitude = POSTCODES[place.postcode] if mapped else (None, None)
    return {
        "id": str(location_id(slug)),
        "name": place.name,
        "location_type": place.location_type,
        "address_1": place.address_1,
        "address_2": place.address_2,
        "city": "Leeds" if place.postcode else "",
        "region": "West Yorkshire" if place.postcode else "",
        "postcode": place.postcode,
        "latitude": latitude,
        "longitude": longitude,
        "accessibility": list(place.accessibility),
        "accessibility_notes": place.accessibility_notes,
        "transport": place.transport,
        "confidential": place.confidential,
        "public_area": place.public_area,
        "schedules": _hours(spec, notes),
    }


def _area(value: str) -> dict:
    if re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", value):
        return {"kind": "postcode_district", "value": value}
    return {"kind": "local_authority", "value": value}


def snapshot(demo: Demo) -> dict:
    """The demo service in `domain.service_snapshot`'s shape, ids included."""
    domain = _domain(demo.organisation)
    site = f"https://{domain}"
    minimum_age, maximum_age = demo.ages
    return {
        "id": str(service_id(demo.slug)),
        "fields": {
            "name": demo.name,
            "summary": demo.summary,
            "description": demo.description,
            "status": demo.status,
            "url": f"{site}/services/{demo.slug}",
            "email": f"{demo.email}@{domain}" if demo.email else "",
            "is_free": demo.free,
            "fees_description": demo.fees,
            "minimum_age": minimum_age,
            "maximum_age": maximum_age,
            "languages": list(demo.languages),
            "interpretation_services": demo.interpreting,
            "attending_modes": list(demo.modes),
            "alert": demo.alert,
            "alert_starts_at": None,
            "alert_ends_at": None,
            "referral_routes": list(demo.routes),
            "referral_named_teams": demo.named_teams,
            "referral_form_url": f"{site}{demo.referral_form}" if demo.referral_form else "",
            "referral_email": f"{demo.referral_email}@{domain}" if demo.referral_email else "",
            "referral_phone": demo.referral_phone,
            "referral_information": demo.referral_information,
            "eligibility": demo.eligibility,
            "exclusions": demo.exclusions,
            "accepting_referrals": demo.accepting,
            "typical_wait": demo.wait,
        },
        "taxonomy_terms": sorted(demo.categories),
        "locations": [_location(slug, spec, notes) for slug, spec, notes in demo.at],
        "contacts": [
            {
                "id": None,
                "name": name,
                "title": title,
                "email": f"{local}@{domain}" if local else "",
                "phone": phone,
            }
            for name, title, local, phone in demo.contacts
        ],
        "phones": [
            {
                "id": None,
                "number": number,
                "extension": "",
                "type": kind,
                "description": description,
            }
            for number, kind, description in demo.phones
        ],
        "service_areas": [_area(value) for value in demo.areas],
        "links": [
            {"to_service": str(service_id(to)), "kind": kind, "note": note}
            for kind, to, note in demo.links
        ],
    }


def _without_id(row: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in row.items() if k != "id"))


def _canonical(snap: dict) -> dict:
    """A snapshot with its lists in a fixed order, so two of the same record compare equal."""
    return {
        **snap,
        "taxonomy_terms": sorted(snap["taxonomy_terms"]),
        "locations": sorted(
            (
                {
                    **loc,
                    "schedules": sorted(
                        loc["schedules"], key=lambda s: (s["weekday"], s["opens_at"])
                    ),
                }
                for loc in snap["locations"]
            ),
            key=lambda loc: loc["id"],
        ),
        # The write path gives a new contact or phone a fresh id: compare what they say.
        "contacts": sorted(_without_id(c) for c in snap["contacts"]),
        "phones": sorted(_without_id(p) for p in snap["phones"]),
        "service_areas": sorted(snap["service_areas"], key=lambda a: (a["kind"], a["value"])),
        "links": sorted(snap["links"], key=lambda link: (link["kind"], link["to_service"])),
    }


def _keep_ids(wanted: dict, stored: dict) -> None:
    """Give wanted contacts and phones the ids of stored ones that say the same, so that putting
    a service back does not record its unchanged contacts as changed."""
    for section in ("contacts", "phones"):
        free = {}
        for row in stored[section]:
            free.setdefault(_without_id(row), []).append(row["id"])
        for row in wanted[section]:
            ids = free.get(_without_id(row))
            if ids:
                row["id"] = ids.pop(0)


def _in_saving_order(services: list[Demo]) -> list[Demo]:
    """Each service after the services it links to, so every link finds its target."""
    ordered, placed, waiting = [], set(), list(services)
    while waiting:
        ready = [d for d in waiting if all(to in placed for _k, to, _n in d.links)]
        if not ready:
            raise ValueError("The demo services' links go round in a circle.")
        for demo in ready:
            ordered.append(demo)
            placed.add(demo.slug)
        waiting = [d for d in waiting if d.slug not in placed]
    return ordered


def _organisations() -> tuple[dict, int]:
    """Organisations by name (portal.demo's and the directory's own, made if missing), and how
    many were made."""
    from django.utils import timezone

    from accounts.domain import audit_record
    from accounts.models import Organisation

    made = 0
    for name, sector, description, areas in EXTRA_ORGANISATIONS:
        organisation, created = Organisation.objects.get_or_create(
            slug=_org_slug(name),
            defaults={
                "name": name,
                "sector": sector,
                "description": description,
                "areas_served": areas,
                "website": f"https://{_domain(name)}",
                "email": f"hello@{_domain(name)}",
                "verified_at": timezone.now(),
            },
        )
        if created:
            made += 1
            audit_record(
                action="accounts.organisation.registered",
                organisation=organisation,
                data={"name": name, "via": "seed_demo"},
            )
    names = {demo.organisation for demo in SERVICES}
    found = {o.name: o for o in Organisation.objects.filter(slug__in=map(_org_slug, names))}
    missing = sorted(names - set(found))
    if missing:
        raise LookupError(f"Run portal.demo.seed() first: no organisation {', '.join(missing)}.")
    return found, made


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the demo services, or put back any that differ; return how many were created
    (organisations and services). A service that already matches is not touched."""
    from django.utils import timezone

    from services import domain
    from services.models import Service

    organisations, made = _organisations()
    existing = {
        s.pk: s
        for s in Service.objects.filter(pk__in=[service_id(d.slug) for d in SERVICES])
        .select_related("organisation")
        .prefetch_related("taxonomy_terms")
    }
    now = timezone.now()
    counts = {"organisations": made, "services": 0}
    for demo in _in_saving_order(SERVICES):
        wanted = snapshot(demo)
        current = existing.get(service_id(demo.slug))
        if current is not None:
            stored = domain.service_snapshot(current)
            if _canonical(stored) == _canonical(wanted):
                continue
            _keep_ids(wanted, stored)
        domain.service_save(
            organisation=organisations[demo.organisation],
            snapshot=wanted,
            actor=None,
            assured_at=now - timedelta(days=demo.assured_days_ago),
        )
        counts["services"] += current is None
    return counts
