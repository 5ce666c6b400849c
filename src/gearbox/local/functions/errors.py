"""Lambda's API errors as the REST-JSON protocol carries them.

AWS names the error in the ``x-amzn-ErrorType`` header and answers a JSON body with ``Type``
(``User`` or ``Service``) and ``message``; boto3 raises ``client.exceptions.<Code>``.
"""

from __future__ import annotations


class LambdaError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def not_found(arn: str) -> LambdaError:
    return LambdaError("ResourceNotFoundException", f"Function not found: {arn}", 404)


def invalid(message: str) -> LambdaError:
    return LambdaError("InvalidParameterValueException", message)
