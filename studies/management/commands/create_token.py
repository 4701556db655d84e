from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studies.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is stored hashed and shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        _token, key = ApiToken.issue(user, name=name)
        self.stdout.write(key)
