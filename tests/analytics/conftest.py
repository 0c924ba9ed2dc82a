import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


def _client(role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[role]))
    return client


@pytest.fixture
def manager():
    """An API client signed in as a Manager."""
    return _client("Manager")


@pytest.fixture
def viewer():
    """An API client signed in as a Viewer."""
    return _client("Viewer")
