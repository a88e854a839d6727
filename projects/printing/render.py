"""HTML of the printed form and WeasyPrint prepared once per process."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Sequence

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import scoring
from ..evaluation import Rulebook
from ..models import SelfAssessment
from ..official_sheet import OfficialSheet, forms_queryset, sheet_for
from .fetcher import BASE_URL, static_only_fetcher
from .fonts import FONT_URL_PREFIX, font_css, subset_fonts

# ---------------------------------------------------------------------------------------------------------
# HTML of the PDF document


def _document_context(sheets: Sequence[OfficialSheet], title: str | None = None) -> dict:
    first = sheets[0]
    if title is None:
        title = _("财政项目支出绩效自评表 · %(project)s（%(year)s 年度）") % {
            "project": first.project_name,
            "year": first.year,
        }
    units = sorted({sheet.unit for sheet in sheets})
    return {
        "sheets": sheets,
        "title": title,
        "author": "、".join(units),
        "description": "；".join(f"{s.project_name}（{s.year}）" for s in sheets[:20]),
        "keywords": "、".join(sorted({str(s.year) for s in sheets})),
        "created": timezone.now().replace(microsecond=0).isoformat(),
    }


def document_html(sheets: Sequence[OfficialSheet], title: str | None = None) -> str:
    return render_to_string("pdf/document.html", _document_context(sheets, title))


# The official form is a Chinese document whatever the reader's interface language: the same paper goes into
# the files of the unit, the department and 财政. (On screen the shared partial follows the interface.)
PDF_LANGUAGE = "zh-hans"


def official_html(
    assessments: Sequence[SelfAssessment],
    rules: scoring.Rules | Rulebook,
    title: str | None = None,
    *,
    public: bool = False,
) -> str:
    """The HTML of the PDF document for these forms (loaded with forms_queryset), in the official language;
    `public`: the 公开版, without the system's 核对说明 (official_sheet.build_sheet)."""
    with translation.override(PDF_LANGUAGE):
        return document_html([sheet_for(form, rules, public=public) for form in assessments], title)


STYLESHEETS = ("pdf/official_table.css", "pdf/print.css")


def _html_class():
    from weasyprint import HTML

    class OfficialHTML(HTML):
        # Our own user-agent sheet (static/pdf/ua.css) instead of WeasyPrint's full HTML5 one: the cascade runs
        # for every element of every render; tests/test_pdf.py pins that templates use no other elements.
        def _ua_stylesheets(self, forms=False):
            return [renderer().ua_stylesheet]

    return OfficialHTML


class Renderer:
    """WeasyPrint with everything prepared once per process: fetcher, fonts, stylesheets."""

    def __init__(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = static_only_fetcher()
        self.font_config = FontConfiguration()
        self.fonts = subset_fonts()

        def sheet(**source):
            return CSS(url_fetcher=self.fetcher, font_config=self.font_config, base_url=BASE_URL, **source)

        self.ua_stylesheet = sheet(filename=finders.find("pdf/ua.css"))
        self.stylesheets = [sheet(filename=finders.find(name)) for name in STYLESHEETS]
        self.stylesheets.append(sheet(string=font_css(self.fonts, f"{BASE_URL}{FONT_URL_PREFIX}")))
        self.html_class = _html_class()
        self.lock = threading.Lock()

    def warm_up(self):
        """One small render: Pango loads the faces and fills its caches before the first real form."""
        html = (
            '<html><body><h2 class="official-title">财政项目支出绩效自评表</h2>'
            "<table class=official-table><tr><th>项目名称</th><td>年度资金总额 100% 0123456789</td></tr></table>"
            "</body></html>"
        )
        self.write_pdf(html)

    def write_pdf(self, html: str, target=None):
        # WeasyPrint's font configuration is not made for concurrent use: renders in one process take turns.
        with self.lock:
            document = self.html_class(string=html, base_url=BASE_URL, url_fetcher=self.fetcher)
            return document.write_pdf(target, stylesheets=self.stylesheets, font_config=self.font_config)


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


@atexit.register
def reset_renderer():
    """Forget the prepared renderer (after the font settings change; at exit, while WeasyPrint's
    FontConfiguration can still remove its temporary font folder in __del__)."""
    global _renderer
    with _renderer_lock:
        _renderer = None


def renderer() -> Renderer:
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = Renderer()
    return _renderer


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (fast) rather than fontTools (seconds per CJK form)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def html_to_pdf(html: str, target=None):
    return renderer().write_pdf(html, target)


def assessment_html(assessment: SelfAssessment, *, public: bool = False) -> str:
    """The official HTML of one form (already fetched through projects.access), ready for WeasyPrint."""
    form = forms_queryset(SelfAssessment.objects.filter(pk=assessment.pk)).get()
    return official_html([form], Rulebook(), public=public)


def render_assessment(assessment: SelfAssessment) -> bytes:
    """The official PDF of one form, rendered in this process (in a web request: projects.printing.limits)."""
    return html_to_pdf(assessment_html(assessment))
