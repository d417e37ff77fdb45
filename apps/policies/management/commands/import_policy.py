"""Import a YAML or JSON document as a new draft version; prints its number."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.audit.context import Origin, origin
from apps.core.errors import ApplicationError
from apps.organizations.constants import Capability
from apps.organizations.models import Membership
from apps.organizations.selectors import capabilities_of
from apps.policies import services
from apps.policies.models import Policy


class Command(BaseCommand):
    help = "Import FILE (YAML or JSON; - for standard input) as a new draft of ORG/POLICY."

    def add_arguments(self, parser):
        parser.add_argument("org", help="organization slug")
        parser.add_argument("policy", help="policy key")
        parser.add_argument("file", help="path to a .yaml, .yml or .json file, or -")
        parser.add_argument(
            "--as", dest="username", help="the author (default: an author or owner)"
        )
        parser.add_argument(
            "--format", choices=["yaml", "json"], help="default: from the file name"
        )

    def handle(
        self,
        *args,
        org: str,
        policy: str,
        file: str,
        username: str,
        format: str | None,
        **options,
    ):
        target = (
            Policy.objects.filter(organization__slug=org, key=policy)
            .select_related("organization")
            .first()
        )
        if target is None:
            raise CommandError(f"No policy {policy!r} in organization {org!r}.")
        author = self._author(target, username)
        if file == "-":
            import sys

            text = sys.stdin.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            text = path.read_bytes()
        fmt = format or ("json" if file.endswith(".json") else "yaml")
        try:
            with origin(Origin(via="command:import_policy")):
                version = services.policy_version_import(
                    policy=target, by=author, text=text, fmt=fmt
                )
        except ApplicationError as exc:
            details = "\n".join(
                f"  {path.removeprefix('document.')}: {message}"
                for path, message in exc.fields.items()
            )
            raise CommandError(f"{exc.message}\n{details}") from exc
        self.stderr.write(
            f"Imported as draft version {version.number} of {org}/{policy} (author {author})."
        )
        self.stdout.write(str(version.number))

    def _author(self, policy: Policy, username: str) -> User:
        """The person the draft is written as: named, because they will be its author in
        the audit trail and may not approve it."""
        user = User.objects.filter(username=username, is_active=True).first()
        if (
            user is None
            or not Membership.objects.filter(organization=policy.organization, user=user).exists()
        ):
            raise CommandError(f"{username} is not a member of {policy.organization.slug}.")
        capabilities = capabilities_of(user=user, organization=policy.organization)
        if Capability.AUTHOR_POLICIES.value not in capabilities:
            raise CommandError(f"{username} may not author policies in {policy.organization.slug}.")
        return user
