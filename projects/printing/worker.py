"""Entry points of the PDF worker processes (see projects.printing.batch.worker_pool).

Kept apart from the rest of projects.printing, which imports the models: a worker unpickles these functions before its
initializer has configured Django, so this module must import nothing of the project at import time.
"""


def init(worker_settings: dict) -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**worker_settings)
        django.setup()
    from projects.printing import render

    render.renderer().warm_up()  # fonts and stylesheets once per worker, before the first chunk arrives


def render_chunk(html: str, path: str) -> str:
    from projects.printing import render

    render.html_to_pdf(html, path)
    return path
