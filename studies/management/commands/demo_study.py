from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studies.demo import create_demo_study


class Command(BaseCommand):
    help = "Create a finished demo study (bulk inserts) so the dashboard and benchmarks have data."

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, default=1000)
        parser.add_argument("--steps", type=int, default=20)
        parser.add_argument("--name", default="")
        parser.add_argument("--owner", default="", help="Username; default: the first superuser.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--objectives",
            action="store_true",
            help="Two objectives (loss, latency_ms) under a memory limit.",
        )

    def handle(self, trials, steps, name, owner, seed, objectives, **options):
        users = get_user_model().objects
        user = users.filter(username=owner).first() if owner else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError("no such owner; create a superuser or pass --owner USERNAME")
        if trials < 1 or steps < 0:
            raise CommandError("--trials must be at least 1 and --steps at least 0")
        name = name or f"demo-{trials}x{steps}"
        study = create_demo_study(user, trials, steps, name=name, seed=seed, objectives=objectives)
        self.stdout.write(f"created study {study.pk} {study.name}: {trials} trials, {steps} steps each")
