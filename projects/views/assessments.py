from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import access


@login_required
def dashboard(request):
    assessments = access.visible_assessments(request.user).select_related("project")
    return render(request, "projects/dashboard.html", {"assessments": assessments})
