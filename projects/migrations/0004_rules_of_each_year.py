"""The single installation-wide rule set becomes the rule set of every year that has forms."""

from django.db import migrations
from django.utils import timezone


def one_per_year(apps, schema_editor):
    ScoringRules = apps.get_model("projects", "ScoringRules")
    SelfAssessment = apps.get_model("projects", "SelfAssessment")
    years = sorted(set(SelfAssessment.objects.values_list("year", flat=True)))
    existing = ScoringRules.objects.order_by("pk").first()
    ScoringRules.objects.exclude(pk=getattr(existing, "pk", None)).delete()
    if existing is None:
        return  # every year starts from the defaults of 财预〔2020〕10号 when it is first needed
    if not years:
        years = [timezone.now().year]
    existing.year = years[0]
    existing.save(update_fields=["year"])
    for year in years[1:]:
        existing.pk = None
        existing.year = year
        existing.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_rules_per_year_and_stored_evaluations")]

    operations = [migrations.RunPython(one_per_year, migrations.RunPython.noop)]
