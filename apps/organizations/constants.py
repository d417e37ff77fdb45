"""Roles, and what each role may do: the one place permissions are declared.

Each capability is a Django permission on Organization; a membership's roles are turned
into django-guardian object permissions on its organization (services.membership_sync_permissions),
and every page and endpoint names the capability it needs per HTTP method.
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    AUTHOR = "author", "Author"
    REVIEWER = "reviewer", "Reviewer"
    AUDITOR = "auditor", "Auditor"
    MEMBER = "member", "Member"


ROLE_HELP = {
    Role.OWNER: "Manages the organization: members, roles and teams; may do everything.",
    Role.AUTHOR: "Drafts policy versions and maintains the catalogs.",
    Role.REVIEWER: "Reviews, approves and publishes policy versions (never their own).",
    Role.AUDITOR: "Reads everything, changes nothing.",
    Role.MEMBER: "Works the approvals and handoffs routed to their teams.",
}


class Capability(models.TextChoices):
    """Codenames of the object permissions on Organization."""

    VIEW = "view_org", "See the organization, its members and teams"
    MANAGE_MEMBERS = "manage_members", "Add, remove and change members and their roles"
    MANAGE_TEAMS = "manage_teams", "Create, change and delete teams"
    MANAGE_CATALOGS = "manage_catalogs", "Change the catalogs"
    AUTHOR_POLICIES = "author_policies", "Create and edit policy drafts"
    REVIEW_POLICIES = "review_policies", "Approve or reject policy versions"
    PUBLISH_POLICIES = "publish_policies", "Publish approved policy versions"
    MANAGE_AGENTS = "manage_agents", "Register agents and manage their keys"
    CONTROL_AUTONOMY = "control_autonomy", "Pause and resume agent autonomy"
    VIEW_DECISIONS = "view_decisions", "Read the decision log"
    WORK_INBOX = "work_inbox", "Decide approvals and handoffs routed to one's teams"
    MANAGE_WEBHOOKS = "manage_webhooks", "Manage outbound webhooks"
    VIEW_AUDIT = "view_audit", "Read the audit trail and export evidence"


ALL_CAPABILITIES = frozenset(Capability)

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: ALL_CAPABILITIES,
    Role.AUTHOR: frozenset(
        {
            Capability.VIEW,
            Capability.MANAGE_CATALOGS,
            Capability.AUTHOR_POLICIES,
            Capability.VIEW_DECISIONS,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Capability.VIEW,
            Capability.REVIEW_POLICIES,
            Capability.PUBLISH_POLICIES,
            Capability.VIEW_DECISIONS,
        }
    ),
    Role.AUDITOR: frozenset({Capability.VIEW, Capability.VIEW_DECISIONS, Capability.VIEW_AUDIT}),
    Role.MEMBER: frozenset({Capability.VIEW, Capability.WORK_INBOX}),
}


def capabilities_for(roles: list[str]) -> frozenset[Capability]:
    granted: set[Capability] = set()
    for role in roles:
        granted |= ROLE_CAPABILITIES[role]
    return frozenset(granted)


def perm_name(capability: Capability) -> str:
    return f"organizations.{capability.value}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


INVITATION_VALID_DAYS = 7

# Slugs and keys: lowercase words joined by hyphens, stable for URLs and documents.
KEY_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
# Kept out of use so that /o/<slug>/ never collides with pages added later.
RESERVED_ORG_SLUGS = frozenset({"new", "api", "admin", "static", "settings", "accounts"})
