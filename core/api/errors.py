"""One JSON shape for every API error:

    {"error": {"code": "invalid_transition", "message": "...", "fields": {...}}}

Exceptions a view raises become that shape here; Django's own 404/500 pages under
``/api/`` become it in ``core.views``.
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import Http404
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

logger = logging.getLogger(__name__)

# A dependency that is down: the client should retry later, and nothing was written.
DEPENDENCY_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_SECONDS = 30

# DRF's codes where a clearer one helps a client branch on it.
_CODE_RENAMES = {"invalid": "validation_error"}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):  # a form body past DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.http_status)
    if isinstance(exc, ProtectedError):
        return Response(
            error_body("in_use", f"Still in use: {exc.args[0]}"), status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, DEPENDENCY_ERRORS):
        logger.warning("dependency unavailable: %s: %s", type(exc).__name__, exc)
        return Response(
            error_body("service_unavailable", "A dependency is unavailable; retry later."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    # Django's own exceptions, as DRF's handler would convert them, so their codes are DRF's.
    if isinstance(exc, DjangoValidationError):
        # A model's rules (validators, clean()) refused the row a service was writing.
        detail = dict(exc.message_dict) if hasattr(exc, "error_dict") else {}
        if not hasattr(exc, "error_dict"):
            detail["non_field_errors"] = exc.messages
        elif NON_FIELD_ERRORS in detail:
            detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
        exc = ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it and answers 500 (JSON under /api/)

    if isinstance(exc, ValidationError):
        fields, messages = _split_validation_detail(exc.detail)
        response.data = error_body(
            "validation_error", " ".join(messages) or "The request is invalid.", fields
        )
    else:
        code = _first_code(exc)
        response.data = error_body(_CODE_RENAMES.get(code, code), _message(exc.detail))
    return response


def _split_validation_detail(detail):
    """Field errors go under ``fields``; errors about the request as a whole make the message."""
    if isinstance(detail, dict):
        fields = {}
        messages = []
        for name, errors in detail.items():
            if name == "non_field_errors":
                messages.extend(str(e) for e in _as_list(errors))
            else:
                fields[name] = _plain(errors)
        if fields and not messages:
            messages = ["The request is invalid: see fields."]
        return fields, messages
    return {}, [str(e) for e in _as_list(detail)]


def _plain(errors):
    if isinstance(errors, dict):
        return {key: _plain(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_plain(e) for e in errors]
    return str(errors)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _first_code(exc) -> str:
    codes = exc.get_codes()
    while isinstance(codes, (list, dict)):
        codes = next(iter(codes.values() if isinstance(codes, dict) else codes), exc.default_code)
    return str(codes)


def _message(detail) -> str:
    if isinstance(detail, list):
        return " ".join(str(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {v}" for k, v in detail.items())
    return str(detail)
