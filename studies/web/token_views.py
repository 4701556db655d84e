"""API tokens in the browser: create (the key is shown once), list, revoke; each user sees only their own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from studies import access
from studies.models import ApiToken
from studies.services import audit
from studies.web.team_forms import TokenForm


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    key = None
    if request.method == "POST" and form.is_valid():
        token, key = ApiToken.issue(request.user, name=form.cleaned_data["name"], expires=form.expires())
        audit(request.user, "token-create", detail=f"{token.name} ({token.prefix}…)")
        messages.success(request, f"Token {token.name} created; copy it now, it is not shown again.")
        form = TokenForm()
    response = render(
        request,
        "teams/token_list.html",
        {"tokens": access.tokens_of(request.user), "form": form, "key": key, "now": timezone.now()},
    )
    if key:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(access.tokens_of(request.user), pk=token_id)
    if ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=timezone.now()):
        audit(request.user, "token-revoke", detail=f"{token.name} ({token.prefix}…)")
        messages.success(request, f"Token {token.name} ({token.prefix}…) revoked.")
    return redirect("token-list")
