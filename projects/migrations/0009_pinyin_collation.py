from django.db import migrations

# ICU's Chinese order by pinyin, punctuation ignored at the first level (projects.collation).
CREATE = "CREATE COLLATION IF NOT EXISTS pinyin (provider = icu, locale = 'zh-u-co-pinyin-ka-shifted-kr-latn')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP COLLATION IF EXISTS pinyin")


class Migration(migrations.Migration):
    dependencies = [("projects", "0008_campaign")]
    operations = [migrations.RunPython(create, drop)]
