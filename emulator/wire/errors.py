"""The one error type of the wire side: ``AwsError(code, message, **fields)``.

Its HTTP status is resolved per service at serialization time, because the same code means different
statuses in different services (``ConflictException`` is 400 in bedrock-runtime, 409 in
bedrock-agent-runtime). Statuses are each error shape's ``httpStatusCode`` in botocore's service models,
read from the generated protocol data (``emulator/wire/protocol_data.py``).
"""

from __future__ import annotations

from typing import Any

from emulator.wire import protocol_data

ERROR_TYPE_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"
COMMON_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.coral.service/"

# Errors any AWS front end may send before the service sees the request (not modelled by botocore).
COMMON_ERROR_STATUS: dict[str, int] = {
    "UnknownOperationException": 404,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
    "SerializationException": 400,
    "UnsupportedMediaTypeException": 415,
    # A body over the emulator's hard cap (docs/limits.md); AWS documents no figure for Converse.
    "RequestEntityTooLargeException": 413,
    # Not an AWS code: what the emulator answers for an operation it does not serve yet.
    "NotImplementedException": 501,
    # AWS's common errors list ServiceUnavailable as 503 for every service; the emulator answers it when
    # the shared state (``serve --state redis://...``) is unreachable, also in services that do not model it.
    "ServiceUnavailableException": 503,
}

# The message Bedrock sends when nothing more specific is known. Real texts, from wire-facts.md §8.
DEFAULT_MESSAGES: dict[str, str] = {
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ThrottlingException": (
        "Too many requests, please wait before trying again. You have sent too many requests.  "
        "Wait before trying again."
    ),
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
    "ModelStreamErrorException": (
        "The system encountered an unexpected error during processing. Try your request again."
    ),
    "ModelTimeoutException": "Model has timed out in processing the request. Try your request again.",
    "ModelNotReadyException": (
        "Model is not ready to serve inference requests. The AWS SDK will automatically retry the "
        "operation. If you continue to get this error, try again later."
    ),
    "ModelErrorException": "The model returned an error. Try your request again.",
    "InternalServerException": "The server encountered an internal error while processing the request.",
    "ResourceNotFoundException": (
        "Failed to retrieve resource because it doesn't exist. Retry the request with a different "
        "resource identifier"
    ),
    "ValidationException": "The request failed validation.",
    "ServiceQuotaExceededException": "Your request exceeds the service quota for your account.",
    "ConflictException": "The request conflicts with the current state of the resource.",
    "DependencyFailedException": "There was an issue with a dependency. Check the resource configurations and retry the request.",
    "BadGatewayException": "There was an issue with a dependency due to a server issue. Retry your request.",
    "UnknownOperationException": "The requested operation is not recognized by the service.",
}


# The front end, not the service, writes these bodies, and spells the member with a capital M
# (a real SerializationException from Converse: wire-facts §9.1).
_MESSAGE_MEMBER: dict[str, str] = {"SerializationException": "Message"}


class AwsError(Exception):
    """An error as an AWS service reports it: a code, a message and the shape's extra members."""

    def __init__(self, code: str, message: str | None = None, **fields: Any) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, code)
        self.fields = fields
        super().__init__(f"{code}: {self.message}")

    def status(self, service: str) -> int:
        return status_for(service, self.code)

    def body(self) -> dict[str, Any]:
        return {_MESSAGE_MEMBER.get(self.code, "message"): self.message, **self.fields}

    def error_type_header(self) -> str:
        namespace = COMMON_ERROR_NAMESPACE if self.code in COMMON_ERROR_STATUS else ERROR_TYPE_NAMESPACE
        return f"{self.code}:{namespace}"


def status_for(service: str, code: str) -> int:
    """The HTTP status a service uses for an error code (500 for codes it does not declare)."""
    status = protocol_data.error_status(service, code)
    if status is not None:
        return status
    return COMMON_ERROR_STATUS.get(code, 500)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def constraint_violation(member: str, value: Any, rule: str) -> AwsError:
    """AWS's model validation: ``1 validation error detected: Value '<v>' at '<member>' failed to satisfy
    constraint: <rule>`` (``Value null`` for a missing member)."""
    shown = "null" if value is None else f"'{value}'"
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {rule}",
    )


def malformed_input(detail: str) -> AwsError:
    """InvokeModel's schema error: ``Malformed input request: <detail>, please reformat your input and try again.``

    How the violations read inside ``detail`` differs by provider (see ``emulator/providers/schema.py``).
    """
    return AwsError(
        "ValidationException",
        f"Malformed input request: {detail}, please reformat your input and try again.",
    )
