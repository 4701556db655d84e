"""Hardening that every page shares: the Content Security Policy header and login throttling.

The policy allows only our own scripts (no inline script, no eval: base.html loads plotly's "strict"
bundle, whose WebGL shaders are precompiled, so `scattergl` needs no `unsafe-eval`). Styles keep
`'unsafe-inline'` because plotly writes `style` attributes and a `<style>` element at run time;
images allow `data:` for plotly's mode-bar icons and its PNG download.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

from studies.services import audit

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Sets the policy on every response that does not set its own (the offline report does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def _client_ip(request) -> str:
    """REMOTE_ADDR; behind a proxy, the address the proxy appended last (the one it saw)."""
    if settings.HPOWEB_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _failures_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}\0{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


LOCKED = "Too many failed log-ins for this account from your address; try again in %(minutes)d minutes."


class LoginThrottle:
    """After LOGIN_MAX_FAILURES failures for one username from one address, refuse for a while.

    Counted per username and address, so a guesser cannot lock a user out from everywhere; a locked
    attempt is refused before the password is even checked, right or wrong. Mixed into both login
    forms (the site's and the admin's), so neither door is left open.
    """

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        key = _failures_key(username, _client_ip(self.request))
        limit, window = settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_S
        if cache.get(key, 0) >= limit:
            raise forms.ValidationError(LOCKED, code="locked", params={"minutes": max(1, round(window / 60))})
        try:
            return super().clean()
        except forms.ValidationError:
            failures = 1
            if not cache.add(key, 1, window):
                try:
                    failures = cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, window)
            if failures == limit:
                audit(None, "login-locked", detail=f"{username!r} from {_client_ip(self.request)}")
            raise
        finally:
            if self.user_cache is not None:
                cache.delete(key)


def nobody_has_logged_in() -> bool:
    """Whether the login page should say where the first admin's password is (a fresh install)."""
    return not get_user_model().objects.filter(last_login__isnull=False).exists()


class ThrottledAuthenticationForm(LoginThrottle, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LoginThrottle, AdminAuthenticationForm):
    pass
