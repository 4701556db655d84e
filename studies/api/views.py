"""The JSON API: the same services and access rules as the pages."""

from __future__ import annotations

from functools import partial

from django import forms
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, leaderboard, services, tags
from studies.api import added_trials
from studies.api.serializers import (
    StudyCreateSerializer,
    StudyDetailSerializer,
    StudySerializer,
    TrialSerializer,
    study_body,
    with_api_fields,
)
from studies.definition import check_definition, describe_definition
from studies.models import Study, StudySummary
from studies.study_search import StudySearch

SEARCH_PARAMETERS = [OpenApiParameter(name, str) for name in StudySearch.base_fields]


class StudyListCreate(generics.ListCreateAPIView):
    """Studies the caller may see, filtered like the study list (`studies.study_search`)."""

    serializer_class = StudySerializer

    @extend_schema(parameters=SEARCH_PARAMETERS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        search = StudySearch(self.request.query_params)
        if not search.is_valid():
            raise ValidationError(search.errors)
        visible = with_api_fields(access.visible_studies(self.request.user))
        return search.filter(visible, default_ordering="id")

    @extend_schema(request=StudyCreateSerializer, responses={201: StudySerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        body = StudyCreateSerializer.split_start(request.data)
        definition = check_definition(request.user, body.definition)
        study = services.create_study(
            request.user, definition.space, definition.study_fields(), start=body.start
        )
        return Response(study_body(study), status=status.HTTP_201_CREATED)


class StudyDetail(generics.RetrieveDestroyAPIView):
    serializer_class = StudyDetailSerializer

    def get_object(self):
        edit = self.request.method == "DELETE"
        study = access.study_for_user(self.request.user, self.kwargs["study_id"], edit=edit)
        return study if edit else with_api_fields(Study.objects.all()).get(pk=study.pk)

    def perform_destroy(self, study) -> None:
        services.delete_study(self.request.user, study)


class TrialPagination(PageNumberPagination):
    """Pages of a study's trials counted by its summary, not by a COUNT over a million trials."""

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = partial(leaderboard.CountedPaginator, count=view.n_trials)
        return super().paginate_queryset(queryset, request, view)


class TrialList(generics.ListAPIView):
    serializer_class = TrialSerializer
    pagination_class = TrialPagination

    def get_queryset(self):
        study = access.study_for_user(self.request.user, self.kwargs["study_id"])
        self.n_trials = StudySummary.objects.get(study=study).n_trials
        return study.trials.order_by("number")

    @extend_schema(
        request=added_trials.AddTrialSerializer,
        responses={201: TrialSerializer, 200: TrialSerializer, 409: dict},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        """Queue a hand-picked point, or record a trial that ran elsewhere (`studies.api.added_trials`)."""
        return added_trials.post(request, self.kwargs["study_id"])


def _study_control_view(action: str):
    """The POST route of one of `services.STUDY_CONTROLS`: a view of its own, so that the schema
    keeps naming the operation `study_<action>`."""

    @extend_schema(request=None, responses={200: StudySerializer, 409: None}, operation_id=f"study_{action}")
    @api_view(["POST"])
    def view(request: Request, study_id: int) -> Response:
        study = access.study_for_user(request.user, study_id, edit=True)
        if not services.control_study(action, study, request.user):
            return Response({"error": f"cannot {action} a study that is {study.state}"}, status=409)
        return Response(study_body(study))

    return view


study_controls = {action: _study_control_view(action) for action in services.STUDY_CONTROLS}


@extend_schema(responses={200: dict})
@api_view(["GET"])
def definition_schema(request: Request) -> Response:
    """What a study definition may hold: the declared limits and every setting of every optimizer,
    pruner and registered job (name, type, default, bounds, help)."""
    return Response(describe_definition())


class TagsBody(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=100), max_length=100)


@extend_schema(request=TagsBody, responses={200: TagsBody})
@api_view(["GET", "PUT"])
def study_tags(request: Request, study_id: int) -> Response:
    """A study's tags; PUT (editors) replaces them, checked by the rule the study page uses."""
    study = access.study_for_user(request.user, study_id, edit=request.method == "PUT")
    if request.method == "PUT":
        body = TagsBody(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            names = tags.check_tags(body.validated_data["tags"])
        except forms.ValidationError as error:
            return Response({"tags": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        tags.set_tags(request.user, study, names)
    return Response({"tags": list(study.tags.values_list("name", flat=True))})
