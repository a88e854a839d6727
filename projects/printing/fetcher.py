"""The restricted fetcher of WeasyPrint: our own static files and pre-subset fonts, nothing else."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

from ..refusals import Refused
from .fonts import FONT_URL_PREFIX, font_file

# maps it to our static files and refuses everything else.
BASE_URL = "https://perfeval.invalid/"
STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".otf": "font/otf",
}


class FetchRefused(Refused, ValueError):
    """A resource outside our own static files: never fetched."""


def resolve_static_url(url: str) -> Path:
    """The file behind one of our static URLs (under BASE_URL); FetchRefused for anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query or parts.fragment:
        raise FetchRefused(f"refused (not our static files): {url[:200]}")
    if parts.path.startswith(f"/{FONT_URL_PREFIX}"):
        # The pre-subset fonts this process built (see fonts.subset_fonts); nothing else of the cache directory.
        found = font_file(parts.path[len(FONT_URL_PREFIX) + 1 :])
        if found is None:
            raise FetchRefused(f"refused (not a font of ours): {url[:200]}")
        return found
    if not parts.path.startswith(prefix):
        raise FetchRefused(f"refused (not under {prefix}): {url[:200]}")
    relative = unquote(parts.path[len(prefix) :])
    if "\x00" in relative or "\\" in relative or any(p in ("", ".", "..") for p in relative.split("/")):
        raise FetchRefused(f"refused (unsafe path): {url[:200]}")
    if Path(relative).suffix.lower() not in STATIC_TYPES:
        raise FetchRefused(f"refused (file type): {url[:200]}")
    found = finders.find(relative) or _collected(relative)
    if not found:
        raise FetchRefused(f"refused (no such static file): {url[:200]}")
    return Path(found)


def _collected(relative: str) -> Path | None:
    """A file of collectstatic's output: in production {% static %} names the hashed copy (pdf.3f2a….css) that
    only STATIC_ROOT holds (whitenoise's manifest storage)."""
    root = Path(settings.STATIC_ROOT).resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


@lru_cache(maxsize=1)
def _fetcher_class():
    # Built on first use so that importing this module (the template tag does) does not load WeasyPrint.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Fetches only our own static files; file:, data:, any host, ../ and unknown types are refused."""

        def __init__(self):
            super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url, headers=None):
            path = resolve_static_url(url)
            content_type = STATIC_TYPES[path.suffix.lower()]
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    return StaticOnlyFetcher


def static_only_fetcher():
    return _fetcher_class()()
