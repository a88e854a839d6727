"""What both benchmarks share: a throwaway SQLite database with the demo data, and the nine seed forms."""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_FORMS = ROOT / "projects" / "demo" / "forms_2022.json"


def setup(folder: Path):
    """Django on a new SQLite database in `folder` (never the project's own), migrated, with the demo data."""
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfeval.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)


def demo_document() -> dict:
    """The nine seed forms as an interchange document (perfeval.self-assessment/1)."""
    return json.loads(DEMO_FORMS.read_text(encoding="utf-8"))
