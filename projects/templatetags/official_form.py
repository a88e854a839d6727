"""The official table of a form as rows and merged cells (projects.pdf.build_sheet), for the shared partial."""

from django import template

from .. import pdf

register = template.Library()


@register.simple_tag
def official_sheet(assessment, funding, indicators, evaluation):
    """{% official_sheet assessment funding indicators evaluation as sheet %}"""
    return pdf.build_sheet(assessment, funding, indicators, evaluation)
