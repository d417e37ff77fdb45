"""Print a new personal access token for a user; the token is the last line of output."""

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.accounts.services import personal_token_create
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a personal access token for USERNAME and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        try:
            issued = personal_token_create(user=user, name=name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"Token {issued.token.prefix}… for {username}; it is shown only once.")
        self.stdout.write(issued.raw)
