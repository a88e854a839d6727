from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _store_missing_evaluations(sender, using="default", **kwargs):
    # Forms from before stored evaluations get theirs once, right after the migration that adds the table.
    from .evaluation import store_missing

    store_missing()


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("绩效自评")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401  (registers the approved-form lock)
        from .collation import register

        post_migrate.connect(_store_missing_evaluations, sender=self)
        connection_created.connect(register, dispatch_uid="perfeval-pinyin-collation")
