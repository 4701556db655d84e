"""What every request's answer goes through: a database outage answers 503 with a JSON body instead of
a stack trace (and heals by itself); a page's poll whose answer is not for swapping in reloads the page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import resolve_url

log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            log.warning("database unavailable: %s", exception)
            close_old_connections()
            response = JsonResponse({"error": "database unavailable, try again shortly"}, status=503)
            response["Retry-After"] = "5"
            return response
        return None


class PageGoneMiddleware:
    """A page's htmx request (a live poll every few seconds, a filter) whose study or trial was deleted
    or whose viewer lost access (404), or whose session ended (a redirect to the login page), tells the
    page to reload (`HX-Refresh`): the page then shows the 404 page or the login page with the way
    back. Otherwise htmx leaves a 404 unswapped and polls it forever, and swaps the login form it
    followed the redirect to into the page's header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true":
            return response
        if response.status_code == 404:
            response["HX-Refresh"] = "true"
        elif response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
            response = HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return response
