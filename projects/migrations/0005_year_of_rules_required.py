import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_rules_of_each_year")]

    operations = [
        migrations.AlterField(
            model_name="historicalscoringrules",
            name="year",
            field=models.PositiveSmallIntegerField(
                db_index=True,
                validators=[
                    django.core.validators.MinValueValidator(2000),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="评价年度",
            ),
        ),
        migrations.AlterField(
            model_name="scoringrules",
            name="year",
            field=models.PositiveSmallIntegerField(
                unique=True,
                validators=[
                    django.core.validators.MinValueValidator(2000),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="评价年度",
            ),
        ),
    ]
