from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
