"""Print a policy version's document as YAML or JSON."""

from django.core.management.base import BaseCommand, CommandError

from apps.policies import document
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion


class Command(BaseCommand):
    help = "Export a policy version (default: the active one) as YAML or JSON."

    def add_arguments(self, parser):
        parser.add_argument("org", help="organization slug")
        parser.add_argument("policy", help="policy key")
        # --version names a policy version here, not the program's version.
        parser.conflict_handler = parser._optionals.conflict_handler = "resolve"
        parser.add_argument("--version", type=int, dest="number", help="version number")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, org: str, policy: str, number: int | None, format: str, **options):
        versions = PolicyVersion.objects.filter(organization__slug=org, policy__key=policy)
        if number is not None:
            version = versions.filter(number=number).first()
        else:
            version = (
                versions.filter(state=VersionState.ACTIVE).first()
                or versions.order_by("-number").first()
            )
        if version is None:
            raise CommandError(f"No such version of {org}/{policy}.")
        self.stdout.write(document.export(version.document, format), ending="")
