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
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ghlsandbox.ids import ghl_id, stage_id
from ghlsandbox.records import (
    Appointment,
    Calendar,
    Company,
    Contact,
    Conversation,
    CustomField,
    Location,
    Message,
    Note,
    OpenHours,
    Opportunity,
    Pipeline,
    Stage,
    User,
)
from ghlsandbox.slots import free_slots
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

DATA_ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
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
    """The demo data for this seed. `now` only places the booked appointments (in the future)."""
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
    _seed_dev_user(data)
    return data


def _seed_accounts(data: Data) -> None:
    data.companies[DEMO_COMPANY_ID] = Company(DEMO_COMPANY_ID, "Sandbox Growth Agency")
    data.locations[DEMO_LOCATION_ID] = Location(
        DEMO_LOCATION_ID, DEMO_COMPANY_ID, "Demo Sales Team (Sandbox)", "America/Chicago"
    )
    data.locations[OTHER_LOCATION_ID] = Location(
        OTHER_LOCATION_ID, DEMO_COMPANY_ID, "Lakeside Dental Studio (Sandbox)", "America/New_York"
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
    for location_id in DEMO_LOCATION_IDS:
        for model, key, name in (
            ("contact", "contact.industry", "Industry"),
            ("contact", "contact.company_size", "Company Size"),
            ("contact", "contact.lead_score", "Lead Score"),
            ("opportunity", "opportunity.deal_source", "Deal Source"),
            ("opportunity", "opportunity.expected_close", "Expected Close"),
        ):
            field_id = ghl_id(rng)
            data.custom_fields[field_id] = CustomField(field_id, key, name, model, location_id)


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
                _field_id(data, location_id, "contact.company_size"): rng.choice(("1-10", "11-50", "51-200", "201+")),
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
    import_time = DATA_ANCHOR - timedelta(days=200, hours=3)
    for index, contact in enumerate(owners[:count]):
        pipeline = pipelines[0] if rng.random() < 0.65 else rng.choice(pipelines)
        stage = rng.choice(pipeline.stages)
        status = rng.choices(("open", "won", "lost", "abandoned"), weights=(70, 15, 10, 5))[0]
        created = import_time if index < import_batch else contact.date_added + timedelta(hours=rng.randint(1, 400))
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
        for position in range(rng.randint(1, 3)):
            moment += timedelta(hours=rng.randint(2, 72))
            inbound = position % 2 == 0
            if email_thread:
                subject = rng.choice(_EMAIL_SUBJECTS)
                body = f"{subject}: " + (
                    "thanks for reaching out!" if inbound else "here are the details we discussed."
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
            )
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
            )
            data.appointments[appointment.id] = appointment
