from rest_framework.permissions import IsAuthenticated

from core.api.permissions import WorkPermission

# Working an incident (or an integration's secret) needs change_<model>, whatever the method.
WORK = [IsAuthenticated, WorkPermission]


def valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
