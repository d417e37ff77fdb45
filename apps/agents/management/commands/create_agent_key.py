"""Print a new API key for an agent; the key is the last line of output."""

from django.core.management.base import BaseCommand, CommandError

from apps.agents.models import Agent
from apps.agents.services import agent_key_create
from apps.audit.context import Origin, origin


class Command(BaseCommand):
    help = "Create an API key for agent AGENT of organization ORG and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("org")
        parser.add_argument("agent")

    def handle(self, *args, org: str, agent: str, **options):
        found = (
            Agent.objects.filter(organization__slug=org, key=agent)
            .select_related("organization")
            .first()
        )
        if found is None:
            raise CommandError(f"No agent {agent!r} in organization {org!r}.")
        with origin(Origin(via="command:create_agent_key")):
            issued = agent_key_create(agent=found, by="command:create_agent_key")
        self.stderr.write(f"Key {issued.key.prefix}… for {org}/{agent}; it is shown only once.")
        self.stdout.write(issued.raw)
