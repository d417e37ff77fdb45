"""Create the demo organizations; running it again changes nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User
from apps.agents.models import Agent
from apps.agents.services import agent_create
from apps.audit.context import Origin, origin
from apps.humans.demo import demo_human_loop
from apps.organizations import services
from apps.organizations.constants import Role
from apps.organizations.models import Membership, Organization, Team
from apps.policies.demo import demo_policy_history

DEMO_PASSWORD = "mandate-demo"

PEOPLE = {
    "olivia": ("Olivia", "Owens", "olivia@acme.example"),
    "adam": ("Adam", "Archer", "adam@acme.example"),
    "rita": ("Rita", "Reyes", "rita@acme.example"),
    "aude": ("Aude", "Laurent", "aude@acme.example"),
    "sam": ("Sam", "Patel", "sam@acme.example"),
    "nina": ("Nina", "Park", "nina@acme.example"),
    "leo": ("Leo", "Grant", "leo@acme.example"),
    "gina": ("Gina", "Gold", "gina@globex.example"),
    "greg": ("Greg", "Hale", "greg@globex.example"),
}

ORGANIZATIONS = [
    {
        "slug": "acme",
        "name": "Acme Consulting",
        "owner": "olivia",
        "members": {
            "adam": [Role.AUTHOR],
            "rita": [Role.REVIEWER],
            "aude": [Role.AUDITOR],
            "sam": [Role.MEMBER],
            "nina": [Role.MEMBER],
            "leo": [Role.MEMBER, Role.REVIEWER],
        },
        "teams": [
            ("deal-desk", "Deal desk", "Pricing, discounts and proposals.", ["sam"]),
            (
                "solutions-engineering",
                "Solutions engineering",
                "Technical answers and objections.",
                ["nina"],
            ),
            (
                "sales-leadership",
                "Sales leadership",
                "First responses, relationships and escalations.",
                ["olivia", "leo"],
            ),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex",
        "owner": "gina",
        "members": {"greg": [Role.MEMBER, Role.AUTHOR]},
        "teams": [("deal-desk", "Deal desk", "Globex's own deal desk.", ["greg"])],
    },
]


AGENTS = [
    (
        "follow-up-copilot",
        "Follow-up copilot",
        "sales-leadership",
        "Drafts and sends follow-ups after calls and proposals.",
    ),
    (
        "proposal-drafter",
        "Proposal drafter",
        "deal-desk",
        "Assembles proposals from approved templates.",
    ),
    ("crm-scribe", "CRM scribe", "sales-leadership", "Logs call notes and keeps deals current."),
]


class Command(BaseCommand):
    help = "Create the demo organizations Acme Consulting (acme) and Globex (globex). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even where demo data is not allowed (never in production)",
        )

    def handle(self, *args, force: bool = False, **options):
        if not (settings.MANDATE_ALLOW_DEMO_DATA or force):
            raise CommandError(
                f"seed_demo creates accounts with a published password ({DEMO_PASSWORD}); "
                "it runs only where MANDATE_ALLOW_DEMO_DATA is on (local development), "
                "or with --force."
            )
        with origin(Origin(via="command:seed_demo")), transaction.atomic():
            users = {username: self._user(username) for username in PEOPLE}
            for spec in ORGANIZATIONS:
                self._organization(spec, users)
            acme = Organization.objects.get(slug="acme")
            demo_policy_history(organization=acme, author=users["adam"], reviewer=users["rita"])
            for key, name, team, description in AGENTS:
                if not Agent.objects.filter(organization=acme, key=key).exists():
                    agent_create(
                        organization=acme,
                        by=users["olivia"],
                        key=key,
                        name=name,
                        team=team,
                        policy="sales-pipeline",
                        description=description,
                    )
            demo_human_loop(organization=acme, users=users)
        self.stdout.write(self.style.SUCCESS("Demo organizations ready: acme, globex."))

    def _user(self, username: str) -> User:
        first, last, email = PEOPLE[username]
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _organization(self, spec: dict, users: dict[str, User]) -> None:
        owner = users[spec["owner"]]
        org = Organization.objects.filter(slug=spec["slug"]).first()
        if org is None:
            org = services.organization_create(name=spec["name"], slug=spec["slug"], by=owner)
        for username, roles in spec["members"].items():
            if not Membership.objects.filter(organization=org, user=users[username]).exists():
                services.membership_add(
                    organization=org, by=owner, user=users[username], roles=roles
                )
        for key, name, description, members in spec["teams"]:
            team = Team.objects.filter(organization=org, key=key).first()
            if team is None:
                services.team_create(
                    organization=org,
                    by=owner,
                    key=key,
                    name=name,
                    description=description,
                    members=members,
                )
