"""A function's asynchronous-invocation settings: retries, event age, destinations, DLQ.

Mirrors ``FunctionEventInvokeConfig`` and ``DeadLetterConfig`` of the Lambda API
(https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html,
https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html): MaximumRetryAttempts
0-2 (default 2), MaximumEventAgeInSeconds 60-21,600 (default 21,600, six hours), an on-success
and an on-failure destination (SQS queue, SNS topic, Lambda function or EventBridge bus ARN),
and the function's dead-letter target (SQS queue or SNS topic).

Where it differs from AWS: settings belong to the function as a whole; versions and aliases
(which on AWS may each have their own) are not modelled. S3 buckets as on-failure
destinations are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_RETRY_ATTEMPTS = 0
MAX_RETRY_ATTEMPTS = 2
MIN_EVENT_AGE_SECONDS = 60
MAX_EVENT_AGE_SECONDS = 21_600


@dataclass(frozen=True)
class EventInvokeConfig:
    """What Lambda does with an asynchronous event of ``function_arn`` (unqualified ARN)."""

    function_arn: str
    maximum_retry_attempts: int = MAX_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = MAX_EVENT_AGE_SECONDS
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter_arn: str | None = None

    def __post_init__(self) -> None:
        if not MIN_RETRY_ATTEMPTS <= self.maximum_retry_attempts <= MAX_RETRY_ATTEMPTS:
            raise ValueError(
                f"MaximumRetryAttempts must be between {MIN_RETRY_ATTEMPTS} and "
                f"{MAX_RETRY_ATTEMPTS}, not {self.maximum_retry_attempts}"
            )
        if not MIN_EVENT_AGE_SECONDS <= self.maximum_event_age_seconds <= MAX_EVENT_AGE_SECONDS:
            raise ValueError(
                f"MaximumEventAgeInSeconds must be between {MIN_EVENT_AGE_SECONDS} and "
                f"{MAX_EVENT_AGE_SECONDS}, not {self.maximum_event_age_seconds}"
            )
