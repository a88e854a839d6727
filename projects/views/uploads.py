"""The JSON interchange upload page (perfeval.self-assessment/1): all or nothing, every problem listed."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from .. import uploads
from ..excel import reader
from .excel import import_page


@login_required
@require_http_methods(["GET", "POST"])
def upload_json(request):
    return import_page(
        request,
        "projects/uploads/upload_json.html",
        lambda upload: [("", uploads.read_json(upload))],
        max_size=reader.human_size(uploads.LIMITS.max_bytes),
    )
