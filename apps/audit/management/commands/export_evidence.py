"""python manage.py export_evidence ORG --since … --until … --out FILE: write the evidence
package of an organization and a period, exactly as the API sends it, and record the export
in the audit trail."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.audit.context import Origin, origin
from apps.audit.evidence import evidence_export
from apps.core.api import parse_rfc3339
from apps.core.errors import ApplicationError
from apps.organizations.constants import Capability
from apps.organizations.models import Membership, Organization
from apps.organizations.selectors import capabilities_of


def _time(value: str | None, name: str):
    if value is None:
        return None
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise CommandError(f"--{name}: use an RFC 3339 time, e.g. 2026-12-31T17:00:00Z.")
    return parsed


class Command(BaseCommand):
    help = "Write the evidence package (a zip) of ORG for [--since, --until) to --out."

    def add_arguments(self, parser):
        parser.add_argument("org", help="organization slug")
        parser.add_argument("--since", help="RFC 3339 time, inclusive (default: the beginning)")
        parser.add_argument("--until", help="RFC 3339 time, exclusive (default: now)")
        parser.add_argument("--out", required=True, help="the zip file to write")
        parser.add_argument(
            "--as",
            dest="username",
            help="the auditor or owner recorded as exporting it (default: the command)",
        )

    def handle(self, *args, org: str, since, until, out: str, username: str | None, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization {org!r}.")
        by = self._person(organization, username) if username else None
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"No such folder: {target.parent}")
        # Written beside the target and renamed into place: a failed export leaves no file.
        handle, partial = tempfile.mkstemp(prefix=".evidence-", suffix=".zip", dir=target.parent)
        try:
            with os.fdopen(handle, "w+b") as file, origin(Origin(via="command:export_evidence")):
                package = evidence_export(
                    organization=organization,
                    by=by,
                    since=_time(since, "since"),
                    until=_time(until, "until"),
                    out=file,
                )
            os.replace(partial, target)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stderr.write(
            f"Evidence of {org} from {package.since.isoformat()} to {package.until.isoformat()}: "
            f"{len(package.files)} files, {package.size} bytes, audit event #{package.event_seq}."
        )
        self.stdout.write(f"{package.sha256}  {target}")

    def _person(self, organization: Organization, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if (
            user is None
            or not Membership.objects.filter(organization=organization, user=user).exists()
        ):
            raise CommandError(f"{username} is not a member of {organization.slug}.")
        if Capability.VIEW_AUDIT.value not in capabilities_of(user=user, organization=organization):
            raise CommandError(f"{username} may not export evidence of {organization.slug}.")
        return user
