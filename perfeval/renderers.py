"""The form renderer: Django's Jinja2 renderer for the widgets, Django templates for the rest.

The editor renders about 200 inputs per form page; with Django's template renderer they were most of the page's
time (nested includes per attribute), and Jinja2 renders the same widget HTML several times faster. Widget
templates that exist only for Django templates (the admin's related-object wrapper) are rendered by those.
"""

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist


class FormRenderer(Jinja2):
    @cached_property
    def django_templates(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.django_templates.get_template(template_name)
