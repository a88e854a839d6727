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


def setup_database(url: str):
    """Django on the database at `url` (a throwaway one: see scale_bench.recreate), migrated, empty."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "perfeval.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def at_each_size(sizes, url: str, recreate, run):
    """run(size) on a new, migrated database per size, smallest first (so that growth shows)."""
    first = True
    for size in sorted(sizes):
        recreate(url)
        if first:
            setup_database(url)
            first = False
        else:
            from django.core.management import call_command
            from django.db import connection

            connection.close()
            call_command("migrate", verbosity=0)
        run(size)


def wait_until_serving(server, port: int, name: str):
    """The server process once it answers on the loopback (killed if it does not within 20 s)."""
    import time
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{name} did not start")
