"""The registry every organization-scoped endpoint and page is listed in, so that one set of
tests checks each of them for role permissions and cross-organization access."""

from dataclasses import dataclass
from typing import Any

from apps.organizations.constants import Capability


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to /api/v1/orgs/{org}/ or /o/{org}/; may name {member} and {team}
    capability: Capability
    body: dict[str, Any] | None = None
    ok: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, prefix: str, org: str, member: str, team: str) -> str:
        return prefix.format(org=org) + self.path.format(member=member, team=team)


# Management API endpoints under /api/v1/orgs/{org}/.
API_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "", Capability.VIEW),
    Endpoint("GET", "members/", Capability.VIEW),
    Endpoint(
        "POST",
        "members/",
        Capability.MANAGE_MEMBERS,
        {"email": "new@example.com", "roles": ["member"]},
        201,
    ),
    Endpoint("GET", "members/{member}/", Capability.VIEW),
    Endpoint(
        "PATCH", "members/{member}/", Capability.MANAGE_MEMBERS, {"roles": ["member", "author"]}
    ),
    Endpoint("DELETE", "members/{member}/", Capability.MANAGE_MEMBERS, None, 204),
    Endpoint("GET", "teams/", Capability.VIEW),
    Endpoint(
        "POST", "teams/", Capability.MANAGE_TEAMS, {"key": "new-team", "name": "New team"}, 201
    ),
    Endpoint("GET", "teams/{team}/", Capability.VIEW),
    Endpoint("PATCH", "teams/{team}/", Capability.MANAGE_TEAMS, {"name": "Renamed"}),
    Endpoint("DELETE", "teams/{team}/", Capability.MANAGE_TEAMS, None, 204),
]

# Pages under /o/{org}/ (POST bodies are valid form submissions).
PAGES: list[Endpoint] = [
    Endpoint("GET", "", Capability.VIEW),
    Endpoint("GET", "members/", Capability.VIEW),
    Endpoint(
        "POST",
        "members/",
        Capability.MANAGE_MEMBERS,
        {"person": "new@example.com", "roles": ["member"]},
        302,
    ),
    Endpoint("GET", "members/{member}/", Capability.VIEW),
    Endpoint(
        "POST", "members/{member}/", Capability.MANAGE_MEMBERS, {"roles": ["member", "author"]}, 302
    ),
    Endpoint("GET", "teams/", Capability.VIEW),
    Endpoint(
        "POST", "teams/", Capability.MANAGE_TEAMS, {"key": "new-team", "name": "New team"}, 302
    ),
    Endpoint("GET", "teams/{team}/", Capability.VIEW),
    Endpoint(
        "POST", "teams/{team}/", Capability.MANAGE_TEAMS, {"name": "Renamed", "members": []}, 302
    ),
    Endpoint("GET", "activity/", Capability.VIEW_AUDIT),
]
