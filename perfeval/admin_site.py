"""The Django admin, for superusers only.

The product's roles work on the product's pages (the 财政 administrator's units, accounts and roles:
projects.directory); the admin is the system administrator's tool for what those pages do not cover
(unlocking a login, a data repair). A staff flag alone opens nothing: no product role can reach a screen that
would let it edit permissions or forms around the workflow.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SuperuserAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "perfeval.admin_site.SuperuserAdminSite"
