"""python manage.py verify_audit [ORG ...] [--checkpoints FILE]: walk each organization's
audit chain, hold it against the signed checkpoints, and name the first problem. Exits 1
when any chain does not verify."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit.verification import audit_verify
from apps.organizations.models import Organization


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and checkpoints of organizations."

    def add_arguments(self, parser):
        parser.add_argument("organizations", nargs="*", help="slugs (default: all)")
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="a JSON file of checkpoint statements kept outside (a list, or one object)",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the results as JSON"
        )

    def handle(self, *args, organizations, checkpoints, as_json: bool = False, **options):
        kept = self._kept(checkpoints)
        queryset = Organization.objects.order_by("slug")
        if organizations:
            queryset = queryset.filter(slug__in=organizations)
            missing = set(organizations) - set(queryset.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No organization {', '.join(sorted(missing))}.")
        results = [audit_verify(organization=org, checkpoints=kept) for org in queryset]
        if as_json:
            self.stdout.write(json.dumps([r.as_dict() for r in results], indent=2))
        for result in results:
            if result.ok:
                if not as_json:
                    self.stdout.write(
                        f"{result.organization}: OK — {result.events} events, head "
                        f"#{result.head_seq}, {checkpoints_hold(result.checkpoints_checked)}"
                    )
                continue
            for finding in result.problems:
                self.stderr.write(f"{result.organization}: {finding.kind}: {finding.message}")
        if any(not r.ok for r in results):
            raise SystemExit(1)

    def _kept(self, path: Path | None) -> list[dict]:
        if path is None:
            return []
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read checkpoints from {path}: {exc}") from exc
        return data if isinstance(data, list) else [data]


def checkpoints_hold(count: int) -> str:
    return f"{count} checkpoint holds" if count == 1 else f"{count} checkpoints hold"
