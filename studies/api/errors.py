"""API errors are JSON with the offending field named; never an HTML error page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from studies.definition import DefinitionError


def exception_handler(exc, context):
    if isinstance(exc, OperationalError | InterfaceError):
        return Response(
            {"error": "database unavailable, try again shortly"}, status=503, headers={"Retry-After": "5"}
        )
    if isinstance(exc, DefinitionError):
        return Response(exc.errors, status=400)
    if isinstance(exc, RequestDataTooBig):  # Django's answer would be an HTML page
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        return Response({"detail": f"the request body is larger than {limit:g} MiB"}, status=413)
    return drf_exception_handler(exc, context)
