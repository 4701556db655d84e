"""The health check that load balancers and docker compose poll: no login, no data, the database reachable."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
