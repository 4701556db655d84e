"""The audit log page, for staff: who created, started, paused, cancelled, deleted or exported what."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from studies import access
from studies.web.team_forms import AuditQuery

PAGE_SIZE = 100


@login_required
def audit_list(request):
    events = access.audit_events(request.user)
    query = AuditQuery(request.GET)
    if not query.is_valid():
        raise Http404("Bad audit query.")
    if query.cleaned_data["action"]:
        events = events.filter(action=query.cleaned_data["action"])
    if query.cleaned_data["user"]:
        events = events.filter(user__username=query.cleaned_data["user"])
    page = Paginator(events, PAGE_SIZE).get_page(query.cleaned_data["page"] or 1)
    actions = access.audit_events(request.user).order_by("action").values_list("action", flat=True).distinct()
    return render(request, "teams/audit_list.html", {"page": page, "query": query, "actions": actions})
