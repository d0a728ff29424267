"""One exception handler: domain and validation errors become `{"code", "detail", "field", "errors"}` JSON."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from procurement.errors import ConflictError, DomainError, PermissionDenied


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, ConflictError):
            code = status.HTTP_409_CONFLICT
        elif isinstance(exc, PermissionDenied):
            code = status.HTTP_403_FORBIDDEN
        return Response({"code": exc.code, "detail": exc.message, "field": exc.field}, status=code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            {"code": "invalid", "detail": "Les données envoyées ne sont pas valides.", "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(data, (dict, list)):
        response.data = {"code": "invalid", "detail": "Les données envoyées ne sont pas valides.", "errors": data}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"code": getattr(data["detail"], "code", "error"), "detail": str(data["detail"])}
    return response
