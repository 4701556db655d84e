"""A database outage answers 503 with a JSON body instead of a stack trace, and heals by itself."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import JsonResponse

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
