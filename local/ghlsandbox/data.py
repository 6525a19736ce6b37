"""Deterministic demo data: one agency, its demo location (and a second one, to test access
between locations), users, pipelines, ~150 contacts, ~200 opportunities, notes, conversations,
calendars with open hours and a few booked appointments.

Users of the demo location: Dana Whitfield (the agency admin, who also sees the other location),
Marcus Bell, Renee Alvarez and Tom Okoro (sub-account users), and Dev User (`dev@localhost`).
The other location has Grace Lindqvist, its admin.

Everything comes from `random.Random(seed)`, so a seed always gives the same records and ids.
The ids tests and `make dev` need are constants below; the rest can be read from
`Sandbox.state.data` or `GET /_sandbox/state`. Record dates are spread over the 18 months
before `DATA_ANCHOR` (a fixed date, so they never depend on the day the sandbox starts);
appointments are booked over the two weeks after "now", because only future slots matter.

The research context (`_seed_research_context`) comes last, from a random generator of its own,
so the records above keep their ids and values: typed contact custom fields (TEXT, LARGE_TEXT,
NUMERICAL, MONETORY, SINGLE_OPTIONS, MULTIPLE_OPTIONS, CHECKBOX, RADIO, DATE) with values, longer
conversation histories (e-mails, SMS, calls) for every seeded conversation, tasks, and past
appointments (the two months before "now"). Two of its records get fixed ids
(`RESEARCH_OPPORTUNITY_ID`, `LONG_CONVERSATION_ID`) so tests and `make dev` can name them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from ghlsandbox.ids import ghl_id, stage_id
from ghlsandbox.records import (
    Appointment,
    Calendar,
    Company,
    Contact,
    Conversation,
    CustomField,
    EmailDetails,
    Location,
    Message,
    Note,
    OpenHours,
    Opportunity,
    Pipeline,
    Stage,
    Task,
    User,
    call_message_status,
)
from ghlsandbox.slots import free_slots, offered_slots
from ghlsandbox.state import Data

DEMO_COMPANY_ID = "zymMlopiWfqUyHRSIf8N"
DEMO_LOCATION_ID = "FmAUNLnY5Yx0y3RnjDQl"
"""The demo sub-account (America/Chicago): 150 contacts, 200 opportunities, three calendars."""
OTHER_LOCATION_ID = "2Kvf8THRXfEuzcrJaBnx"
"""A second sub-account of the same agency (America/New_York), with a little data of its own."""
DEMO_LOCATION_IDS = (DEMO_LOCATION_ID, OTHER_LOCATION_ID)

DEMO_USER_ID = "7IfDH5mMDdwin86TkVYC"
"""The user who installs the app (`userId` in token responses)."""
DEMO_USER_IDS = (DEMO_USER_ID, "M7l8GQlchbkER0Af7BOf", "jtNayviHzm5YdOnCqIz0", "Wiw8SE7diV3TMXVjM8Ah")
OTHER_USER_ID = "ghjsllAj7n4JuXFZo2qh"
"""The other location's only user (its admin): never visible through a demo-location token."""
DEV_USER_ID = "DevUser0000localhost"
DEV_USER_EMAIL = "dev@localhost"
"""A demo-location user with the e-mail of `make dev`'s developer JWT, so a developer can link
themself to a GHL user. Added after everything else is seeded, so no seeded record is theirs."""

SALES_PIPELINE_ID = "20xlReGsaL1dvnyzv0Zz"
PARTNERSHIPS_PIPELINE_ID = "yA0xIfl4c7xU2zXCot2P"
RENEWALS_PIPELINE_ID = "oPUtg3SUunWZTRTpysCW"
OTHER_PIPELINE_ID = "9f4CA96qeGs6R3uYEIi7"
DEMO_PIPELINE_IDS = (SALES_PIPELINE_ID, PARTNERSHIPS_PIPELINE_ID, RENEWALS_PIPELINE_ID)

DISCOVERY_CALENDAR_ID = "5qB4sA9Q0NksyRRM3NQT"
PRODUCT_DEMO_CALENDAR_ID = "Cmyv4mwaQwSs92m5QQkY"
ONBOARDING_CALENDAR_ID = "OqQAVW3ToA33wQzahGIm"
OTHER_CALENDAR_ID = "aHt8RVkGYZC7nqV2VADJ"
DEMO_CALENDAR_IDS = (DISCOVERY_CALENDAR_ID, PRODUCT_DEMO_CALENDAR_ID, ONBOARDING_CALENDAR_ID)

DEMO_CALL_PROVIDER_ID = "HONXO1WMXsmVbgZteLc9"
"""The demo app's Call conversation provider (needed by `POST /conversations/messages/outbound`)."""

RESEARCH_OPPORTUNITY_ID = "kQ3vRsXo9TbWm2LdPz7N"
"""An open deal of the demo location whose contact has a full research context: e-mails (HTML),
SMS and calls in both directions, a past and an upcoming appointment, open (one overdue) and
completed tasks, and a value for every contact custom field type. The same id for every seed."""
LONG_CONVERSATION_ID = "Lh7mGq2WcZx5NbTe8YrA"
"""A demo-location conversation with more than 60 messages (e-mails, SMS, calls; some added in
the same second), for paging the history over several pages. The same id for every seed."""

DATA_ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_IMPORT_TIME = DATA_ANCHOR - timedelta(days=200, hours=3)
"""When the seeded CSV import (the first opportunities of the demo location) was created."""
DEMO_CONTACTS = 150
DEMO_OPPORTUNITIES = 200

_FIRST = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "Lucas",
    "Mia",
    "Mason",
    "Amelia",
    "Ethan",
    "Harper",
    "Logan",
    "Evelyn",
    "Aiden",
    "Abigail",
    "Carter",
    "Emily",
    "Jackson",
    "Ella",
    "Sebastian",
    "Scarlett",
    "Mateo",
    "Grace",
    "Owen",
    "Chloe",
    "Wyatt",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Sofia",
    "Diego",
    "Ingrid",
    "Lars",
)
_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Patel",
    "Kim",
    "Okafor",
)
_COMPANIES = (
    ("Acme Logistics", "acmelogistics.com", "Logistics"),
    ("Bluebird Dental", "bluebirddental.com", "Healthcare"),
    ("Cedar & Pine Realty", "cedarpinerealty.com", "Real Estate"),
    ("Summit Roofing", "summitroofing.co", "Construction"),
    ("Brightside Solar", "brightsidesolar.com", "Energy"),
    ("Northwind Traders", "northwindtraders.com", "Retail"),
    ("Harbor Fitness", "harborfitness.io", "Fitness"),
    ("Maple Street Bakery", "maplestreetbakery.com", "Food & Beverage"),
    ("Ironclad Security", "ironcladsecurity.net", "Security"),
    ("Lumen Analytics", "lumenanalytics.ai", "Software"),
    ("Redwood Legal Group", "redwoodlegal.com", "Legal"),
    ("Silverline HVAC", "silverlinehvac.com", "Home Services"),
    ("Evergreen Landscaping", "evergreenlandscaping.com", "Home Services"),
    ("Pioneer Insurance", "pioneerins.com", "Insurance"),
    ("Quantum Robotics", "quantumrobotics.io", "Manufacturing"),
    ("Coastal Auto Group", "coastalautogroup.com", "Automotive"),
    ("Sparrow Marketing", "sparrowmarketing.co", "Marketing"),
    ("Granite Peak Capital", "granitepeakcap.com", "Finance"),
    ("Willow Pediatrics", "willowpeds.com", "Healthcare"),
    ("Atlas Freight", "atlasfreight.com", "Logistics"),
    ("Juniper Spa", "juniperspa.com", "Beauty"),
    ("Keystone Builders", "keystonebuilders.com", "Construction"),
    ("Orbit Coworking", "orbitcowork.com", "Real Estate"),
    ("Polaris Education", "polarisedu.org", "Education"),
    ("Rustic Table Catering", "rustictable.com", "Food & Beverage"),
    ("Tidewater Marine", "tidewatermarine.com", "Marine"),
    ("Vertex Cloud", "vertexcloud.dev", "Software"),
    ("Wildflower Events", "wildflowerevents.com", "Events"),
)
_CITIES = (
    ("Austin", "TX", "78701", "512"),
    ("Dallas", "TX", "75201", "214"),
    ("Chicago", "IL", "60601", "312"),
    ("Denver", "CO", "80202", "303"),
    ("Nashville", "TN", "37203", "615"),
    ("Kansas City", "MO", "64105", "816"),
    ("Minneapolis", "MN", "55401", "612"),
    ("New Orleans", "LA", "70112", "504"),
)
_COMPANY_SIZES = ("1-10", "11-50", "51-200", "201+")
_STREETS = ("Main St", "Oak Ave", "Congress Ave", "Elm St", "Market St", "Lakeview Dr", "2nd St", "Cedar Ln")
_TAGS = ("hot lead", "newsletter", "webinar 2025", "referral", "trade show", "enterprise", "smb", "follow up")
_SOURCES = ("Website form", "Referral", "Facebook ad", "Google ads", "Trade show", "Cold outreach", "Webinar")
_PRODUCTS = ("Annual plan", "Starter package", "Pro upgrade", "Onboarding services", "Multi-site rollout", "Renewal")
_NOTE_BODIES = (
    "Spoke with {first}: interested in the {product}, wants pricing for {n} seats.",
    "Left a voicemail for {first}; follow up on Thursday.",
    "{first} asked for a case study from the {industry} industry.",
    "Budget approved for Q{q}. Decision maker is {first}'s manager.",
    "Sent the proposal. {first} will review it with the team next week.",
    "{first} prefers email over phone calls.",
    "Competitor demo scheduled by {first}'s team; emphasise onboarding support.",
)
_EMAIL_SUBJECTS = ("Quick question", "Following up", "Pricing details", "Meeting recap", "Your demo")

_PIPELINES = (
    (
        SALES_PIPELINE_ID,
        DEMO_LOCATION_ID,
        "Sales Pipeline",
        ("New Lead", "Contacted", "Qualified", "Demo Scheduled", "Proposal Sent", "Negotiation", "Closed"),
    ),
    (PARTNERSHIPS_PIPELINE_ID, DEMO_LOCATION_ID, "Partnerships", ("Identified", "Intro Call", "Pilot", "Signed")),
    (
        RENEWALS_PIPELINE_ID,
        DEMO_LOCATION_ID,
        "Renewals",
        ("Upcoming", "Outreach", "Negotiating", "Renewed", "Churn Risk"),
    ),
    (OTHER_PIPELINE_ID, OTHER_LOCATION_ID, "Patient Pipeline", ("Inquiry", "Consult Booked", "Treatment Plan", "Won")),
)
_WEEKDAYS_9_TO_5 = [OpenHours(days=(1, 2, 3, 4, 5), open_hour=9, open_minute=0, close_hour=17, close_minute=0)]


def seed_data(seed: int, now: datetime) -> Data:
    """The demo data for this seed. `now` places the appointments (past and upcoming) and the
    tasks' due dates around the day the sandbox starts; everything else is fixed by the seed."""
    rng = random.Random(seed)
    data = Data(rng=random.Random(seed + 1))
    _seed_accounts(data)
    _seed_custom_fields(data, rng)
    _seed_pipelines(data, rng)
    demo_contacts = _seed_contacts(data, rng, DEMO_LOCATION_ID, DEMO_CONTACTS)
    other_contacts = _seed_contacts(data, rng, OTHER_LOCATION_ID, 12)
    _seed_opportunities(data, rng, DEMO_LOCATION_ID, demo_contacts, DEMO_OPPORTUNITIES, import_batch=20)
    _seed_opportunities(data, rng, OTHER_LOCATION_ID, other_contacts, 10, import_batch=0)
    _seed_notes(data, rng, demo_contacts[:60] + other_contacts[:4])
    _seed_conversations(data, rng, demo_contacts[:40] + other_contacts[:3])
    _seed_calendars(data)
    _seed_appointments(data, rng, demo_contacts, other_contacts, now)
    data.call_provider_ids.add(DEMO_CALL_PROVIDER_ID)
    _seed_research_context(data, random.Random(f"ghlsandbox research {seed}"), demo_contacts, other_contacts, now)
    _seed_dev_user(data)
    return data


def _seed_accounts(data: Data) -> None:
    data.companies[DEMO_COMPANY_ID] = Company(DEMO_COMPANY_ID, "Sandbox Growth Agency")
    data.locations[DEMO_LOCATION_ID] = Location(
        DEMO_LOCATION_ID,
        DEMO_COMPANY_ID,
        "Demo Sales Team (Sandbox)",
        "America/Chicago",
        business_name="Demo Sales Team",
        email="sales@demo-sales-team.example",
        phone="+15125550190",
        address="600 Congress Ave, Suite 1400",
        city="Austin",
        state="TX",
        postal_code="78701",
        website="https://www.demo-sales-team.example",
        owner_first_name="Dana",
        owner_last_name="Whitfield",
    )
    data.locations[OTHER_LOCATION_ID] = Location(
        OTHER_LOCATION_ID,
        DEMO_COMPANY_ID,
        "Lakeside Dental Studio (Sandbox)",
        "America/New_York",
        business_name="Lakeside Dental Studio",
        email="hello@lakeside-dental.example",
        phone="+15855550140",
        address="48 Lake Shore Blvd",
        city="Rochester",
        state="NY",
        postal_code="14617",
        website="https://www.lakeside-dental.example",
        owner_first_name="Grace",
        owner_last_name="Lindqvist",
    )
    people = (("Dana", "Whitfield"), ("Marcus", "Bell"), ("Renee", "Alvarez"), ("Tom", "Okoro"))
    for index, (user_id, (first, last)) in enumerate(zip(DEMO_USER_IDS, people, strict=True)):
        email = f"{first.lower()}@sandbox-agency.example"
        data.users[user_id] = User(
            user_id,
            DEMO_COMPANY_ID,
            first,
            last,
            email,
            [DEMO_LOCATION_ID],
            phone=f"+1512555{100 + index:04d}",
            date_added=DATA_ANCHOR - timedelta(days=600 - 45 * index),
        )
    dana = data.users[DEMO_USER_ID]  # the agency admin who installs the app: sees both locations
    dana.location_ids.append(OTHER_LOCATION_ID)
    dana.type, dana.role, dana.enabled_2way_sync = "agency", "admin", True
    data.users[OTHER_USER_ID] = User(
        OTHER_USER_ID,
        DEMO_COMPANY_ID,
        "Grace",
        "Lindqvist",
        "grace@sandbox-agency.example",
        [OTHER_LOCATION_ID],
        phone="+12125550110",
        role="admin",
        date_added=DATA_ANCHOR - timedelta(days=400),
    )


def _seed_dev_user(data: Data) -> None:
    data.users[DEV_USER_ID] = User(
        DEV_USER_ID, DEMO_COMPANY_ID, "Dev", "User", DEV_USER_EMAIL, [DEMO_LOCATION_ID], date_added=DATA_ANCHOR
    )


def _seed_custom_fields(data: Data, rng: random.Random) -> None:
    industries = sorted({industry for _, _, industry in _COMPANIES})
    for location_id in DEMO_LOCATION_IDS:
        for model, position, key, name, data_type, options in (
            ("contact", 0, "contact.industry", "Industry", "SINGLE_OPTIONS", industries),
            ("contact", 1, "contact.company_size", "Company Size", "SINGLE_OPTIONS", list(_COMPANY_SIZES)),
            ("contact", 2, "contact.lead_score", "Lead Score", "NUMERICAL", []),
            ("opportunity", 0, "opportunity.deal_source", "Deal Source", "SINGLE_OPTIONS", list(_SOURCES)),
            ("opportunity", 1, "opportunity.expected_close", "Expected Close", "DATE", []),
        ):
            field_id = ghl_id(rng)
            data.custom_fields[field_id] = CustomField(
                field_id,
                key,
                name,
                model,
                location_id,
                data_type=data_type,
                placeholder=name,
                position=position,
                picklist_options=options,
            )


def _field_id(data: Data, location_id: str, key: str) -> str:
    for definition in data.custom_fields.values():
        if definition.location_id == location_id and definition.key == key:
            return definition.id
    raise KeyError(key)


def _seed_pipelines(data: Data, rng: random.Random) -> None:
    for pipeline_id, location_id, name, stage_names in _PIPELINES:
        stages = [Stage(stage_id(rng), stage_name, position) for position, stage_name in enumerate(stage_names)]
        data.pipelines[pipeline_id] = Pipeline(pipeline_id, location_id, name, stages)


def _seed_contacts(data: Data, rng: random.Random, location_id: str, count: int) -> list[Contact]:
    location = data.locations[location_id]
    users = [user.id for user in data.users.values() if location_id in user.location_ids]
    contacts: list[Contact] = []
    used_emails: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company, domain, industry = rng.choice(_COMPANIES)
        city, state, postal, area = rng.choice(_CITIES)
        email = f"{first}.{last}@{domain}".lower()
        suffix = 2
        while email in used_emails:
            email = f"{first}.{last}{suffix}@{domain}".lower()
            suffix += 1
        used_emails.add(email)
        added = DATA_ANCHOR - timedelta(days=rng.randint(30, 540), seconds=rng.randint(0, 86399))
        contact = Contact(
            id=ghl_id(rng),
            location_id=location_id,
            first_name=first,
            last_name=last,
            email=email,
            phone=f"+1{area}555{rng.randint(0, 9999):04d}",
            company_name=company,
            website=f"https://www.{domain}",
            tags=sorted(set(rng.sample(_TAGS, rng.randint(0, 3)))),
            custom_fields={
                _field_id(data, location_id, "contact.industry"): industry,
                _field_id(data, location_id, "contact.company_size"): rng.choice(_COMPANY_SIZES),
                _field_id(data, location_id, "contact.lead_score"): str(rng.randint(1, 100)),
            },
            date_added=added,
            date_updated=added + timedelta(days=rng.randint(0, 25)),
            source=rng.choice(_SOURCES),
            type=rng.choice(("lead", "lead", "customer")),
            assigned_to=rng.choice(users),
            address1=f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            city=city,
            state=state,
            postal_code=postal,
            timezone=location.timezone,
        )
        data.contacts[contact.id] = contact
        contacts.append(contact)
    return contacts


def _seed_opportunities(
    data: Data,
    rng: random.Random,
    location_id: str,
    contacts: list[Contact],
    count: int,
    *,
    import_batch: int,
) -> None:
    """`count` opportunities: one per contact, then second deals for some contacts.

    The first `import_batch` share one `createdAt` (a CSV import), so paging has to break ties
    by id to return each of them exactly once.
    """
    pipelines = [p for p in data.pipelines.values() if p.location_id == location_id]
    users = [user.id for user in data.users.values() if location_id in user.location_ids]
    owners = contacts + rng.sample(contacts, max(0, count - len(contacts)))
    for index, contact in enumerate(owners[:count]):
        pipeline = pipelines[0] if rng.random() < 0.65 else rng.choice(pipelines)
        stage = rng.choice(pipeline.stages)
        status = rng.choices(("open", "won", "lost", "abandoned"), weights=(70, 15, 10, 5))[0]
        created = _IMPORT_TIME if index < import_batch else contact.date_added + timedelta(hours=rng.randint(1, 400))
        created = created.replace(microsecond=(created.microsecond // 1000) * 1000)
        changed = created + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
        opportunity = Opportunity(
            id=ghl_id(rng),
            location_id=location_id,
            name=f"{contact.company_name} - {rng.choice(_PRODUCTS)}",
            contact_id=contact.id,
            pipeline_id=pipeline.id,
            pipeline_stage_id=stage.id,
            status=status,
            monetary_value=float(rng.randrange(500, 50_000, 250)),
            assigned_to=rng.choice(users),
            source=contact.source,
            created_at=created,
            updated_at=changed,
            last_status_change_at=changed,
            last_stage_change_at=changed,
            custom_fields={
                _field_id(data, location_id, "opportunity.deal_source"): contact.source,
                _field_id(data, location_id, "opportunity.expected_close"): (
                    changed + timedelta(days=rng.randint(14, 120))
                ).strftime("%Y-%m-%d"),
            },
        )
        data.opportunities[opportunity.id] = opportunity


def _seed_notes(data: Data, rng: random.Random, contacts: list[Contact]) -> None:
    for contact in contacts:
        users = [user.id for user in data.users.values() if contact.location_id in user.location_ids]
        for _ in range(rng.randint(1, 2)):
            industry = next(iter(contact.custom_fields.values()))
            body = rng.choice(_NOTE_BODIES).format(
                first=contact.first_name,
                product=rng.choice(_PRODUCTS).lower(),
                n=rng.choice((5, 10, 25, 50)),
                industry=industry,
                q=rng.randint(1, 4),
            )
            note = Note(
                id=ghl_id(rng),
                contact_id=contact.id,
                body=body,
                user_id=rng.choice(users),
                date_added=contact.date_added + timedelta(days=rng.randint(1, 28), minutes=rng.randint(0, 900)),
            )
            data.notes[note.id] = note


def _seed_conversations(data: Data, rng: random.Random, contacts: list[Contact]) -> None:
    """A conversation (with one to three messages of history) for some contacts."""
    for contact in contacts:
        started = contact.date_added + timedelta(days=rng.randint(0, 10))
        email_thread = rng.random() < 0.6
        conversation = Conversation(
            id=ghl_id(rng),
            location_id=contact.location_id,
            contact_id=contact.id,
            date_added=started,
            date_updated=started,
            last_message_date=started,
            type="TYPE_EMAIL" if email_thread else "TYPE_PHONE",
            unread_count=rng.randint(0, 2),
            assigned_to=contact.assigned_to,
        )
        data.conversations[conversation.id] = conversation
        moment = started
        thread: list[Message] = []
        for position in range(rng.randint(1, 3)):
            moment += timedelta(hours=rng.randint(2, 72))
            inbound = position % 2 == 0
            subject = ""
            if email_thread:
                subject = rng.choice(_EMAIL_SUBJECTS)
                body = f"<p>{subject}: " + (
                    "thanks for reaching out!</p>" if inbound else "here are the details we discussed.</p>"
                )
            else:
                body = "Can we talk tomorrow?" if inbound else "Sure, I'll call you at 10."
            message = Message(
                id=ghl_id(rng),
                conversation_id=conversation.id,
                contact_id=contact.id,
                location_id=contact.location_id,
                message_type="TYPE_EMAIL" if email_thread else "TYPE_SMS",
                direction="inbound" if inbound else "outbound",
                body=body,
                date_added=moment,
                email_message_id=ghl_id(rng) if email_thread else "",
                user_id="" if inbound else contact.assigned_to,
                source="" if inbound else "app",
            )
            if email_thread:
                _as_email(data, message, contact, subject, thread)
            data.messages[message.id] = message
            conversation.record(message)


def _seed_calendars(data: Data) -> None:
    sales_team = list(DEMO_USER_IDS)
    for calendar in (
        Calendar(
            DISCOVERY_CALENDAR_ID,
            DEMO_LOCATION_ID,
            "Discovery Call",
            "A 30-minute call to understand the prospect's needs.",
            "discovery-call",
            sales_team[:2],
            _WEEKDAYS_9_TO_5,
        ),
        Calendar(
            PRODUCT_DEMO_CALENDAR_ID,
            DEMO_LOCATION_ID,
            "Product Demo",
            "A live walkthrough of the product.",
            "product-demo",
            sales_team[1:3],
            _WEEKDAYS_9_TO_5,
        ),
        Calendar(
            ONBOARDING_CALENDAR_ID,
            DEMO_LOCATION_ID,
            "Onboarding Session",
            "Kick-off session for new customers.",
            "onboarding",
            sales_team[3:],
            _WEEKDAYS_9_TO_5,
            calendar_type="event",
        ),
        Calendar(
            OTHER_CALENDAR_ID,
            OTHER_LOCATION_ID,
            "Consultation",
            "New patient consultation.",
            "consultation",
            [OTHER_USER_ID],
            _WEEKDAYS_9_TO_5,
            calendar_type="personal",
        ),
    ):
        data.calendars[calendar.id] = calendar


def _seed_appointments(
    data: Data, rng: random.Random, demo_contacts: list[Contact], other_contacts: list[Contact], now: datetime
) -> None:
    """About a dozen bookings over the next two weeks, so some slots are already taken."""
    start = now + timedelta(days=1)
    end = now + timedelta(days=14)
    for calendar in data.calendars.values():
        location = data.locations[calendar.location_id]
        zone = ZoneInfo(location.timezone)
        slots = free_slots(calendar, zone, [], start=start, end=end, now=now)
        contacts = demo_contacts if calendar.location_id == DEMO_LOCATION_ID else other_contacts
        picks = 4 if calendar.location_id == DEMO_LOCATION_ID else 2
        for slot in sorted(rng.sample(slots, min(picks, len(slots)))):
            contact = rng.choice(contacts)
            appointment = Appointment(
                id=ghl_id(rng),
                calendar_id=calendar.id,
                location_id=calendar.location_id,
                contact_id=contact.id,
                start=slot,
                end=slot + calendar.slot_duration,
                title=f"{calendar.name} with {contact.name}",
                status="confirmed",
                assigned_user_id=calendar.team_member_ids[0],
                zone=location.timezone,
                date_added=now,
            )
            data.appointments[appointment.id] = appointment


# --- the research context ------------------------------------------------------------------------

_PRODUCT_AREAS = ("CRM", "Email marketing", "Appointment booking", "Reputation management", "Reporting", "Phone system")
_CHANNELS = ("Email", "Phone", "SMS")
_DECISION_ROLES = ("Decision maker", "Influencer", "Champion", "End user")
_JOB_TITLES = (
    "Head of Operations",
    "VP of Sales",
    "Office Manager",
    "Founder & CEO",
    "Marketing Director",
    "IT Manager",
    "Practice Manager",
    "Procurement Lead",
)
_PAIN_POINTS = (
    "Leads from the website form wait a day before anyone calls them back.",
    "Reporting takes a full day at the end of each month.",
    "No-shows cost the team about ten appointments a week.",
    "Follow-ups live in personal inboxes, so nobody sees the whole history.",
    "The current CRM contract renews soon and the team dislikes it.",
    "Two offices use different tools and cannot share contacts.",
)
_TYPED_CONTACT_FIELDS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("contact.job_title", "Job Title", "TEXT", "e.g. Head of Operations", ()),
    ("contact.pain_points", "Pain Points", "LARGE_TEXT", "What slows the team down today?", ()),
    ("contact.annual_budget", "Annual Budget", "MONETORY", "Budget in USD", ()),
    ("contact.products_of_interest", "Products of Interest", "MULTIPLE_OPTIONS", "", _PRODUCT_AREAS),
    ("contact.preferred_channels", "Preferred Channels", "CHECKBOX", "", _CHANNELS),
    ("contact.decision_role", "Decision Role", "RADIO", "", _DECISION_ROLES),
    ("contact.next_renewal", "Next Renewal", "DATE", "", ()),
)
"""Contact fields added to the three of `_seed_custom_fields`, one of each remaining type."""


def _options(rng: random.Random, options: tuple[str, ...]) -> str:
    """Several options of a MULTIPLE_OPTIONS or CHECKBOX field, in the field's order, as the value
    string the contacts API reads back (its spec types every value as a string)."""
    picked = set(rng.sample(options, rng.randint(1, min(3, len(options)))))
    return ", ".join(option for option in options if option in picked)


_FIELD_VALUES: dict[str, Callable[[random.Random], str]] = {
    "contact.job_title": lambda rng: rng.choice(_JOB_TITLES),
    "contact.pain_points": lambda rng: "\n".join(rng.sample(_PAIN_POINTS, 2)),
    "contact.annual_budget": lambda rng: str(rng.randrange(5_000, 150_000, 500)),
    "contact.products_of_interest": lambda rng: _options(rng, _PRODUCT_AREAS),
    "contact.preferred_channels": lambda rng: _options(rng, _CHANNELS),
    "contact.decision_role": lambda rng: rng.choice(_DECISION_ROLES),
    "contact.next_renewal": lambda rng: (DATA_ANCHOR + timedelta(days=rng.randint(30, 420))).strftime("%Y-%m-%d"),
}

_OUTBOUND_EMAILS = (
    (
        "Following up on our call",
        "<p>Hi {first},</p><p>Thanks for your time today. As promised, here is how the {product} would work "
        "for {company}:</p><ul><li>Setup in two weeks</li><li>Training for {n} users</li></ul>"
        "<p>Best regards,<br>{agent}</p>",
    ),
    (
        "Proposal for {company}",
        "<p>Hi {first},</p><p>Please find our proposal for the {product} attached. The quote covers {n} seats "
        "and onboarding.</p><p>Happy to walk you through it.</p><p>{agent}</p>",
    ),
    (
        "{industry} case study",
        "<p>Hi {first},</p><p>Here is the case study I mentioned: a {industry} team that halved its response "
        "time in three months.</p><p>Cheers,<br>{agent}</p>",
    ),
    (
        "Next steps",
        "<p>Hi {first},</p><p>To keep things moving, could you tell me who else should join our next call?</p>"
        "<p>{agent}</p>",
    ),
)
_INBOUND_EMAILS = (
    (
        "Question about pricing",
        "<p>Hi {agent_first},</p><p>Before we go further: does the price include onboarding for {n} people?</p>"
        "<p>Thanks,<br>{first}</p>",
    ),
    (
        "Our requirements",
        "<p>Hello,</p><p>We mainly need better reporting and fewer missed leads. Budget is approved for next "
        "quarter.</p><p>{first} {last}<br>{company}</p>",
    ),
)
_OUTBOUND_REPLIES = (
    "<p>Hi {first},</p><p>Good question: onboarding is included for up to {n} users.</p><p>{agent}</p>",
    "<p>Hi {first},</p><p>Thanks for the quick reply. I have updated the quote; the new version is "
    "attached.</p><p>{agent}</p>",
)
_INBOUND_REPLIES = (
    "<p>Thanks {agent_first}, this is helpful. I will share it with the team and get back to you by "
    "Friday.</p><p>{first}</p>",
    "<p>Looks good. Could you add {n} more seats to the quote?</p><p>{first}</p>",
    "<p>Great, thank you. Let's talk next week.</p><p>{first}</p>",
)
_OUTBOUND_SMS = (
    "Hi {first}, it's {agent_first} from {business}. Is now a good time for a quick call?",
    "Just sent the proposal to your inbox, {first}. Let me know if anything is unclear.",
    "Reminder: we're meeting tomorrow at 10am. Reply C to confirm.",
    "Thanks for your time today, {first}!",
)
_INBOUND_SMS = (
    "Sounds good, talk soon.",
    "Can we move it to Thursday afternoon?",
    "C",
    "Got it, thanks!",
    "Running 5 min late, sorry.",
    "Who else should join from our side?",
)
_CALL_STATUSES = ("completed", "no-answer", "voicemail", "busy")
_TASKS = (
    ("Send revised proposal", "Include the multi-site discount {first} asked about."),
    ("Follow up on pricing questions", "{first} wants to know what onboarding costs."),
    ("Schedule product demo", "Find a slot with {first} and their IT lead."),
    ("Share {industry} case study", "Pick the one with the strongest ROI numbers."),
    ("Confirm decision timeline", "Ask {first} when the budget is signed off."),
    ("Send contract for signature", ""),
    ("Check in after onboarding", "Make sure the whole team has logged in at least once."),
    ("Prepare renewal quote", "Check usage before quoting the renewal."),
)

type _Step = tuple[str, str, str]
"""One message to add to a history: (kind: email / sms / call, direction, call status or "")."""

_RESEARCH_HISTORY: tuple[_Step, ...] = (
    ("email", "outbound", ""),
    ("email", "inbound", ""),
    ("call", "outbound", "completed"),
    ("sms", "outbound", ""),
    ("sms", "inbound", ""),
    ("email", "outbound", ""),
    ("call", "inbound", "completed"),
    ("email", "inbound", ""),
    ("call", "outbound", "voicemail"),
    ("sms", "outbound", ""),
)
"""What the research contact's conversation adds to its seeded start (oldest first)."""
_LONG_HISTORY = 62


def _seed_research_context(
    data: Data, rng: random.Random, demo_contacts: list[Contact], other_contacts: list[Contact], now: datetime
) -> None:
    """What a research brief reads: typed custom fields and their values, longer conversation
    histories, tasks and past appointments, and the two records with fixed ids."""
    _seed_typed_contact_fields(data, rng)
    talking = [contact for contact in demo_contacts if data.conversation_of(contact.id) is not None]
    research = _research_opportunity(data, talking)
    research_contact = data.contacts[research.contact_id]
    long_contact = next(contact for contact in reversed(talking) if contact.id != research_contact.id)
    _rename_conversation(data, data.conversation_of(long_contact.id), LONG_CONVERSATION_ID)
    for contact in demo_contacts + other_contacts:
        for key, value in _FIELD_VALUES.items():
            if contact is research_contact or rng.random() < 0.7:
                contact.custom_fields[_field_id(data, contact.location_id, key)] = value(rng)
    for conversation in list(data.conversations.values()):
        if conversation.id == LONG_CONVERSATION_ID:
            steps = [
                (rng.choice(("email", "sms", "sms", "call")), rng.choice(("inbound", "outbound")), "")
                for _ in range(_LONG_HISTORY)
            ]
        elif conversation.contact_id == research_contact.id:
            steps = list(_RESEARCH_HISTORY)
        else:
            steps = [
                (rng.choice(("email", "sms", "call")), rng.choice(("inbound", "outbound")), "")
                for _ in range(rng.randint(0, 8))
            ]
        _add_history(data, rng, conversation, steps)
    _same_second_at_page_edges(data, LONG_CONVERSATION_ID)
    _seed_tasks(data, rng, research_contact, demo_contacts, other_contacts, now)
    _seed_more_appointments(data, rng, research_contact, demo_contacts, other_contacts, now)


def _seed_typed_contact_fields(data: Data, rng: random.Random) -> None:
    for location_id in DEMO_LOCATION_IDS:
        first = sum(1 for d in data.custom_fields.values() if d.location_id == location_id and d.model == "contact")
        for position, (key, name, data_type, placeholder, options) in enumerate(_TYPED_CONTACT_FIELDS, first):
            field_id = ghl_id(rng)
            data.custom_fields[field_id] = CustomField(
                field_id,
                key,
                name,
                "contact",
                location_id,
                data_type=data_type,
                placeholder=placeholder,
                position=position,
                picklist_options=list(options),
            )


def _research_opportunity(data: Data, talking: list[Contact]) -> Opportunity:
    """An open Sales Pipeline deal (not of the CSV import) of a contact with a conversation (not the
    first one, which many tests write to), renamed to `RESEARCH_OPPORTUNITY_ID`."""
    candidates = [
        opportunity
        for contact in talking[1:]
        for opportunity in data.opportunities.values()
        if opportunity.contact_id == contact.id and opportunity.status == "open"
    ]
    preferred = [o for o in candidates if o.pipeline_id == SALES_PIPELINE_ID and o.created_at != _IMPORT_TIME]
    chosen = (preferred or candidates)[0]
    data.opportunities = {
        (RESEARCH_OPPORTUNITY_ID if key == chosen.id else key): value for key, value in data.opportunities.items()
    }
    chosen.id = RESEARCH_OPPORTUNITY_ID
    return chosen


def _rename_conversation(data: Data, conversation: Conversation | None, new_id: str) -> None:
    assert conversation is not None
    old_id = conversation.id
    data.conversations = {(new_id if key == old_id else key): value for key, value in data.conversations.items()}
    conversation.id = new_id
    for message in data.messages.values():
        if message.conversation_id == old_id:
            message.conversation_id = new_id


def _add_history(data: Data, rng: random.Random, conversation: Conversation, steps: list[_Step]) -> None:
    """Messages after the conversation's seeded start, up to a day before `DATA_ANCHOR`."""
    if not steps:
        return
    contact = data.contacts[conversation.contact_id]
    start = conversation.last_message_date + timedelta(hours=1)
    span = int((DATA_ANCHOR - timedelta(days=1) - start).total_seconds())
    moments = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in steps)
    thread = [m for m in reversed(data.history(conversation.id)) if m.message_type == "TYPE_EMAIL"]
    for (kind, direction, call_status), moment in zip(steps, moments, strict=True):
        message = Message(
            id=ghl_id(rng),
            conversation_id=conversation.id,
            contact_id=contact.id,
            location_id=contact.location_id,
            message_type={"email": "TYPE_EMAIL", "sms": "TYPE_SMS", "call": "TYPE_CALL"}[kind],
            direction=direction,
            body="",
            date_added=moment,
            user_id=contact.assigned_to if direction == "outbound" else "",
            source="app" if direction == "outbound" else "",
        )
        words = _words(data, rng, contact)
        if kind == "email":
            message.email_message_id = ghl_id(rng)
            subject = _email_text(rng, message, thread, words)
            _as_email(data, message, contact, subject, thread)
            message.status = rng.choice(("delivered", "opened")) if direction == "outbound" else "delivered"
        elif kind == "sms":
            message.body = rng.choice(_OUTBOUND_SMS if direction == "outbound" else _INBOUND_SMS).format(**words)
        else:
            message.call_status = call_status or rng.choices(_CALL_STATUSES, weights=(60, 20, 15, 5))[0]
            message.status = call_message_status(message.call_status)
            if message.call_status == "completed":
                message.call_duration = rng.randint(45, 1500)
            elif message.call_status == "voicemail":
                message.call_duration = rng.randint(15, 60)
        data.messages[message.id] = message
        conversation.record(message)


def _words(data: Data, rng: random.Random, contact: Contact) -> dict[str, str]:
    """What the message templates may name."""
    agent = data.users.get(contact.assigned_to)
    location = data.locations[contact.location_id]
    return {
        "first": contact.first_name,
        "last": contact.last_name,
        "company": contact.company_name,
        "industry": next(iter(contact.custom_fields.values())),
        "product": rng.choice(_PRODUCTS).lower(),
        "n": str(rng.choice((5, 10, 25, 50))),
        "agent": agent.name if agent else location.business_name,
        "agent_first": agent.first_name if agent else location.business_name,
        "business": location.business_name,
    }


def _email_text(rng: random.Random, message: Message, thread: list[Message], words: dict[str, str]) -> str:
    """The e-mail's HTML body (set on `message`) and its subject: a reply to the thread's last
    e-mail when that came from the other side, else a new topic."""
    outbound = message.direction == "outbound"
    previous = thread[-1] if thread else None
    html_words = {name: escape(value) for name, value in words.items()}
    if previous is not None and previous.email is not None and previous.direction != message.direction:
        message.body = rng.choice(_OUTBOUND_REPLIES if outbound else _INBOUND_REPLIES).format(**html_words)
        return "Re: " + previous.email.subject.removeprefix("Re: ")
    subject, body = rng.choice(_OUTBOUND_EMAILS if outbound else _INBOUND_EMAILS)
    message.body = body.format(**html_words)
    return subject.format(**words)


def _as_email(data: Data, message: Message, contact: Contact, subject: str, thread: list[Message]) -> None:
    """Give an e-mail of a seeded conversation its headers: between the contact and their owner
    (or the location), in the conversation's thread, answering the previous e-mail when that came
    from the other side."""
    agent = data.users.get(contact.assigned_to)
    location = data.locations[contact.location_id]
    agent_name, agent_address = (agent.name, agent.email) if agent else (location.business_name, location.email)
    previous = thread[-1] if thread else None
    inbound = message.direction == "inbound"
    message.thread_id = thread[0].email_message_id if thread else message.email_message_id
    message.email = EmailDetails(
        subject=subject,
        sender=f"{contact.name} <{contact.email}>" if inbound else f"{agent_name} <{agent_address}>",
        to=[agent_address if inbound else contact.email],
        reply_to_email_id=previous.email_message_id if previous and previous.direction != message.direction else "",
    )
    thread.append(message)


def _same_second_at_page_edges(data: Data, conversation_id: str) -> None:
    """Messages 20 and 21, and 40 and 41 (newest first), get the same `dateAdded`, so a page of
    20 ends between two messages of the same second: only the id tells them apart."""
    oldest_first = list(reversed(data.history(conversation_id)))
    for edge in (20, 40):
        oldest_first[-edge - 1].date_added = oldest_first[-edge].date_added


def _task_due(day: datetime, days: int, hour: int) -> datetime:
    return day + timedelta(days=days, hours=hour)


def _seed_tasks(
    data: Data,
    rng: random.Random,
    research_contact: Contact,
    demo_contacts: list[Contact],
    other_contacts: list[Contact],
    now: datetime,
) -> None:
    """Tasks around today (UTC): the research contact's four (two open, one of them overdue; two
    completed), and one to three for about fifty other contacts."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def add(contact: Contact, title: str, body: str, due: datetime, completed: bool, assigned_to: str) -> None:
        words = {"first": contact.first_name, "industry": next(iter(contact.custom_fields.values()))}
        added = min(due, now) - timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
        task = Task(
            id=ghl_id(rng),
            contact_id=contact.id,
            location_id=contact.location_id,
            title=title.format(**words),
            body=body.format(**words),
            assigned_to=assigned_to,
            due_date=due,
            completed=completed,
            date_added=added,
            date_updated=due if completed else added,
        )
        data.tasks[task.id] = task

    owner = research_contact.assigned_to
    for (title, body), days, hour, completed in (
        (_TASKS[0], 2, 15, False),
        (_TASKS[4], -1, 16, False),
        (_TASKS[3], -9, 14, True),
        (_TASKS[2], -4, 17, True),
    ):
        add(research_contact, title, body, _task_due(today, days, hour), completed, owner)
    others = [contact for contact in demo_contacts if contact is not research_contact]
    for contact in rng.sample(others, 45) + other_contacts[:3]:
        for _ in range(rng.randint(1, 3)):
            title, body = rng.choice(_TASKS)
            due = _task_due(today, rng.randint(-30, 30), rng.randint(14, 22))
            completed = due < now and rng.random() < 0.7
            assigned_to = contact.assigned_to if rng.random() < 0.9 else ""
            add(contact, title, body, due, completed, assigned_to)


def _open_slots(data: Data, calendar: Calendar, start: datetime, end: datetime) -> list[datetime]:
    """The calendar's slots between start and end that no blocking appointment overlaps (past or
    future: seeding the past books slots that free-slot searches never offer)."""
    zone = data.locations[calendar.location_id].zone
    taken = [(a.start, a.end) for a in data.appointments.values() if a.calendar_id == calendar.id and a.blocks]
    duration = calendar.slot_duration
    return [
        slot
        for slot in offered_slots(calendar, zone, start, end)
        if not any(slot < booked_end and booked_start < slot + duration for booked_start, booked_end in taken)
    ]


def _seed_more_appointments(
    data: Data,
    rng: random.Random,
    research_contact: Contact,
    demo_contacts: list[Contact],
    other_contacts: list[Contact],
    now: datetime,
) -> None:
    """Appointments of the last two months (showed, no-show, cancelled), and the research contact's
    past discovery call and upcoming product demo. They hold their slots like any booking."""

    def book(calendar_id: str, contact: Contact, start: datetime, end: datetime, status: str, notes: str = "") -> None:
        calendar = data.calendars[calendar_id]
        slot = rng.choice(_open_slots(data, calendar, start, end))
        appointment = Appointment(
            id=ghl_id(rng),
            calendar_id=calendar.id,
            location_id=calendar.location_id,
            contact_id=contact.id,
            start=slot,
            end=slot + calendar.slot_duration,
            title=f"{calendar.name} with {contact.name}",
            status=status,
            assigned_user_id=rng.choice(calendar.team_member_ids),
            zone=data.locations[calendar.location_id].timezone,
            description=notes.format(first=contact.first_name),
            date_added=min(slot - timedelta(days=rng.randint(3, 10)), now),
        )
        data.appointments[appointment.id] = appointment

    book(DISCOVERY_CALENDAR_ID, research_contact, now - timedelta(days=21), now - timedelta(days=14), "showed")
    book(
        PRODUCT_DEMO_CALENDAR_ID,
        research_contact,
        now + timedelta(days=2),
        now + timedelta(days=9),
        "confirmed",
        "Walk {first} through reporting and the multi-site setup.",
    )
    past = (now - timedelta(days=60), now - timedelta(days=1))
    for _ in range(8):
        status = rng.choices(("showed", "noshow", "cancelled"), weights=(6, 2, 2))[0]
        book(rng.choice(DEMO_CALENDAR_IDS), rng.choice(demo_contacts), *past, status)
    for _ in range(2):
        book(OTHER_CALENDAR_ID, rng.choice(other_contacts), *past, "showed")
