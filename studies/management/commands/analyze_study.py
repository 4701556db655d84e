from django.core.management.base import BaseCommand, CommandError

from studies.models import Study
from studies.plots import analysis


class Command(BaseCommand):
    help = "Compute a study's stored analysis (importance, GP posterior slices, contour) now."

    def add_arguments(self, parser):
        parser.add_argument("study_id", type=int)

    def handle(self, study_id, **options):
        study = Study.objects.select_related("space").filter(pk=study_id).first()
        if study is None:
            raise CommandError(f"no study {study_id}")
        n = analysis.analyze(study)
        self.stdout.write(f"analysed study {study.pk} {study.name} as of {n} trials")
