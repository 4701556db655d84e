"""API errors are JSON with the offending field named; never an HTML error page."""

from __future__ import annotations

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
    return drf_exception_handler(exc, context)
