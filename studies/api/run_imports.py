"""`POST /api/studies/{id}/trials/import/`: runs that finished elsewhere, from a CSV file (W&B's runs
table or a spreadsheet), recorded as trials; see `studies.run_imports`.

The body is the file (`Content-Type: text/csv`) or a form upload whose field is `file`. 201 with
`{"added", "already_there", "skipped", "trials"}` when runs were added, 200 when none were new; 400
naming every bad row (`{"rows": ["row 7: ..."]}`) or what is wrong with the file; 409 when the
study's budget cannot take the file; 413 for a file over 1 MiB. A refused file stores nothing.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access
from studies.api.parsers import CSVParser
from studies.run_imports import MAX_CSV, FileTooLarge, ImportRefused, import_runs


@extend_schema(
    operation_id="study_trial_import",
    request={"text/csv": OpenApiTypes.BINARY, "multipart/form-data": OpenApiTypes.OBJECT},
    responses={201: dict, 200: dict, 400: dict, 409: dict, 413: dict},
)
@api_view(["POST"])
@parser_classes([CSVParser, MultiPartParser])
def trial_import(request: Request, study_id: int) -> Response:
    """Record the CSV file's finished runs as trials of the study (the module's docstring says how)."""
    study = access.study_for_user(request.user, study_id, edit=True)
    try:
        imported = import_runs(request.user, study, _file(request))
    except FileTooLarge as refused:
        return Response(refused.errors, status=413)
    except ImportRefused as refused:
        return Response(refused.errors, status=409 if refused.conflict else 400)
    return Response(imported.as_dict(), status=201 if imported.added else 200)


def _file(request: Request) -> bytes:
    """The CSV's bytes, from the body or the upload (read one byte over the limit at most)."""
    if isinstance(request.data, bytes) or request.content_type.startswith(CSVParser.media_type):
        return request.data or b""  # an empty body is parsed as no data at all
    upload = request.FILES.get("file")
    if upload is None:
        raise ImportRefused({"file": ["send the CSV as the body (text/csv) or as the upload `file`"]})
    return upload.read(MAX_CSV + 1)
