from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.permissions import WorkPermission

# Working an incident (or an integration's secret) needs change_<model>, whatever the method.
WORK = [IsAuthenticated, WorkPermission]


def paginated_rows(view, rows, shape):
    """A list's answer from ``rows`` (a ``values()`` queryset, filtered and ordered):
    one page of them shaped by ``shape`` (a function of a list of rows), with the
    paginator's count, next and previous."""
    page = view.paginate_queryset(rows)
    if page is None:
        return Response(shape(list(rows)))
    return view.get_paginated_response(shape(page))


def valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
