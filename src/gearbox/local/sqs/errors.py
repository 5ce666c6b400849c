"""SQS's errors as AWS sends them over the JSON protocol.

Over the JSON protocol AWS names the error twice: ``__type`` carries the shape name of the
service model (``com.amazonaws.sqs#QueueDoesNotExist``), and the ``x-amzn-query-error`` header
carries the code of the older query protocol (``AWS.SimpleQueueService.NonExistentQueue;Sender``),
which is what boto3 shows as ``Error.Code``. ``SqsError`` holds both.
"""

from __future__ import annotations

# shape name -> query-protocol code, for the modeled errors whose codes differ
_QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}


class SqsError(Exception):
    """An error to send to the client; never escapes the SQS protocol module."""

    def __init__(self, shape: str, message: str, *, status: int = 400, sender: bool = True):
        super().__init__(message)
        self.shape = shape
        self.message = message
        self.status = status
        self.sender = sender

    @property
    def query_code(self) -> str:
        return _QUERY_CODES.get(self.shape, self.shape)

    @property
    def type_name(self) -> str:
        # Protocol-level errors come from AWS's request framework (coral), not from SQS.
        if self.shape in ("SerializationException", "UnknownOperationException"):
            return f"com.amazon.coral.service#{self.shape}"
        return f"com.amazonaws.sqs#{self.shape}"


def queue_does_not_exist() -> SqsError:
    return SqsError("QueueDoesNotExist", "The specified queue does not exist.")


def missing_parameter(name: str) -> SqsError:
    return SqsError("MissingParameter", f"The request must contain the parameter {name}.")


def invalid_parameter(name: str, value: object, reason: str) -> SqsError:
    return SqsError(
        "InvalidParameterValue",
        f"Value {value} for parameter {name} is invalid. Reason: {reason}",
    )


def invalid_parameters(reason: str) -> SqsError:
    return SqsError(
        "InvalidParameterValue", f"One or more parameters are invalid. Reason: {reason}"
    )


def receipt_handle_invalid(handle: str) -> SqsError:
    return SqsError(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )
