"""The 佐证材料 panel of a form, for pages that include templates/projects/partials/attachments.html."""

from django import template

from .. import attachments

register = template.Library()


@register.simple_tag(takes_context=True)
def attachment_panel(context, assessment):
    """{% attachment_panel assessment as panel %}: the files and whether the current user may change them."""
    return attachments.panel(context["request"].user, assessment)
