import logging
import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control


class ChineseByDefaultLocaleMiddleware(LocaleMiddleware):
    """The interface is Simplified Chinese unless the user chose another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an office PC set up in
    English would show an English form; the official vocabulary is Chinese, English is opt-in.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


def private_pages(get_response):
    """Every answer carries the Permissions-Policy; a signed-in user's pages (forms, figures, files) are never
    kept by a shared proxy or the browser's cache, where the next person at an office PC could read them."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


request_logger = logging.getLogger("perfeval.request")


def request_log(get_response):
    """One line per request for the operator: method, path, status, duration and who asked (never the query
    string, which may carry names of forms)."""

    def middleware(request):
        started = time.monotonic()
        response = get_response(request)
        if request_logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            request_logger.info(
                "%s %s %s %.0fms user=%s",
                request.method,
                request.path,
                response.status_code,
                (time.monotonic() - started) * 1000,
                user.get_username() if user is not None and user.is_authenticated else "-",
            )
        return response

    return middleware
