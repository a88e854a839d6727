from . import access


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_preparer": access.is_preparer(user),
        "nav_is_reviewer": access.is_reviewer(user),
        "nav_is_finance_admin": access.is_finance_admin(user),
    }
