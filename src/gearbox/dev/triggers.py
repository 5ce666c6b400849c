"""Wire an app's triggers on the local cloud: event source mappings (SQS, DynamoDB
streams), S3 bucket notifications, SNS subscriptions and EventBridge schedule rules, with the
resource-based permissions AWS needs for the pushing services (S3, SNS, EventBridge): a
function's policy lets the service invoke it for that source, and a queue that S3 notifies
gets a queue policy statement letting S3 send from those buckets (``s3_queue_policy``),
without which S3 refuses the notification configuration, on AWS as in the local cloud. The
statement (``Sid`` ``S3SendsNotifications``) replaces only its own earlier version in the
queue's policy; statements added by hand stay.

S3 notifications are written per bucket, whole (``PutBucketNotificationConfiguration``
replaces the configuration), from every trigger on that bucket in the graph, so two
functions on one bucket never overwrite each other; a declared bucket that no trigger names
any more gets an empty configuration. Mappings are found by (source ARN, function) and
updated in place. What a deployed function no longer declares is removed: its SQS and stream
mappings, its subscriptions to the app's topics, and its place among the targets of a
schedule rule dev wrote (tagged ``gearbox:wired-by``; a rule left with no target is deleted;
a rule made by hand is not touched). Resources stay until removed by hand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from gearbox.app.specs import (
    FunctionSpec,
    S3Trigger,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    Target,
)
from gearbox.dev.targets import Place
from gearbox.policy.document import statements_of

Clients = Callable[[str], Any]


@dataclass
class _Wiring:
    """What the triggers of every deployed function ask of each service."""

    queue_mappings: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    stream_mappings: dict[tuple[Target, str], dict[str, Any]] = field(default_factory=dict)
    notifications: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    subscriptions: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    schedules: list[tuple[str, str, str, str | None]] = field(default_factory=list)


def apply_triggers(
    functions: Sequence[tuple[FunctionSpec, str]],
    clients: Clients,
    place: Place,
    *,
    buckets: Sequence[str] = (),
    topics: Sequence[str] = (),
) -> None:
    """Wire the triggers of ``functions`` ((spec, physical name) pairs); ``buckets`` and
    ``topics`` (names, ARNs) are the app's own, whose stale wiring is removed."""
    wiring = _Wiring()
    for spec, physical in functions:
        for trigger in spec.triggers:
            _collect(wiring, trigger, physical, place)
    deployed = [p for _, p in functions]
    lam = clients("lambda")
    _mappings(wiring, lam, place, deployed)
    _stream_mappings(wiring, lam, clients("dynamodb"), place)
    s3 = clients("s3")
    _notifications(wiring, s3, lam, clients("sqs"))
    _stale_notifications(wiring, s3, buckets)
    sns, events = clients("sns"), clients("events")
    arns = [place.function_arn(f) for f in deployed]
    _subscriptions(wiring, sns, lam, place)
    _stale_subscriptions(wiring, sns, topics, arns)
    _schedules(wiring, events, lam, place)
    _stale_schedules(wiring, events, arns)


def _collect(wiring: _Wiring, trigger: Any, function: str, place: Place) -> None:
    fn_arn = place.function_arn(function)
    match trigger:
        case SqsTrigger():
            wiring.queue_mappings[(place.arn(trigger.queue), function)] = _sqs_settings(
                trigger.batch_size,
                trigger.window,
                trigger.partial_failures,
                trigger.max_concurrency,
            )
        case S3Trigger(via=None):
            config = {"LambdaFunctionArn": fn_arn, **_s3_filter(trigger)}
            _add_notification(wiring, place.physical(trigger.bucket), "LambdaFunction", config)
        case S3Trigger(via=via) if via is not None:
            config = {"QueueArn": place.arn(via), **_s3_filter(trigger)}
            _add_notification(wiring, place.physical(trigger.bucket), "Queue", config)
            wiring.queue_mappings.setdefault(
                (place.arn(via), function), _sqs_settings(10, 0, True, None)
            )
        case SnsTrigger():
            attributes: dict[str, str] = {}
            if trigger.filter_policy:
                attributes["FilterPolicy"] = trigger.filter_policy
                attributes["FilterPolicyScope"] = trigger.filter_scope
            wiring.subscriptions.append((place.arn(trigger.topic), function, attributes))
        case StreamTrigger():
            settings: dict[str, Any] = {
                "StartingPosition": trigger.starting_position,
                "BatchSize": trigger.batch_size,
                "BisectBatchOnFunctionError": trigger.bisect_on_error,
                "MaximumRetryAttempts": trigger.max_retries,
                "MaximumRecordAgeInSeconds": trigger.max_record_age,
            }
            if trigger.on_failure is not None:
                settings["DestinationConfig"] = {
                    "OnFailure": {"Destination": place.arn(trigger.on_failure)}
                }
            wiring.stream_mappings[(trigger.table, function)] = settings
        case ScheduleTrigger():
            schedule = trigger.schedule
            wiring.schedules.append(
                (place.physical(schedule), schedule.expression, function, schedule.input)
            )


def _sqs_settings(
    batch_size: int, window: int, partial: bool, max_concurrency: int | None
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "BatchSize": batch_size,
        "MaximumBatchingWindowInSeconds": window,
        "FunctionResponseTypes": ["ReportBatchItemFailures"] if partial else [],
    }
    if max_concurrency is not None:
        settings["ScalingConfig"] = {"MaximumConcurrency": max_concurrency}
    return settings


def _s3_filter(trigger: S3Trigger) -> dict[str, Any]:
    rules = [
        {"Name": name, "Value": value}
        for name, value in (("prefix", trigger.prefix), ("suffix", trigger.suffix))
        if value
    ]
    config: dict[str, Any] = {"Events": list(trigger.events)}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


def _add_notification(wiring: _Wiring, bucket: str, kind: str, config: dict[str, Any]) -> None:
    configs = wiring.notifications.setdefault(bucket, {}).setdefault(kind, [])
    config["Id"] = f"gearbox-{_short_hash(config)}"
    configs.append(config)


def _short_hash(value: Any) -> str:
    return hashlib.sha256(repr(sorted(value.items())).encode()).hexdigest()[:12]


def _mappings(wiring: _Wiring, lam: Any, place: Place, deployed: Iterable[str]) -> None:
    """Create, update or delete the deployed functions' SQS mappings; delete their stream
    mappings whose table no trigger names now (``_stream_mappings`` keeps the others)."""
    wanted = wiring.queue_mappings
    tables = {(place.physical(table), function) for table, function in wiring.stream_mappings}
    for function in deployed:
        existing = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        for mapping in existing:
            source = mapping["EventSourceArn"]
            if ":dynamodb:" in source:
                table = source.split(":table/", 1)[-1].split("/stream/", 1)[0]
                if (table, function) not in tables:
                    lam.delete_event_source_mapping(UUID=mapping["UUID"])
                continue
            if ":sqs:" not in source:
                continue
            settings = wanted.pop((source, function), None)
            if settings is None:
                lam.delete_event_source_mapping(UUID=mapping["UUID"])
            else:
                lam.update_event_source_mapping(UUID=mapping["UUID"], **settings)
    for (source, function), settings in sorted(wanted.items()):
        lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function, **settings)


def _stream_mappings(wiring: _Wiring, lam: Any, dynamodb: Any, place: Place) -> None:
    for (table, function), settings in wiring.stream_mappings.items():
        stream_arn = dynamodb.describe_table(TableName=place.physical(table))["Table"][
            "LatestStreamArn"
        ]
        existing = lam.list_event_source_mappings(FunctionName=function, EventSourceArn=stream_arn)[
            "EventSourceMappings"
        ]
        if existing:
            update = {k: v for k, v in settings.items() if k != "StartingPosition"}
            lam.update_event_source_mapping(UUID=existing[0]["UUID"], **update)
        else:
            lam.create_event_source_mapping(
                EventSourceArn=stream_arn, FunctionName=function, **settings
            )


def _stale_notifications(wiring: _Wiring, s3: Any, buckets: Iterable[str]) -> None:
    """Empty the notification configuration of the app's buckets no trigger names now."""
    for bucket in buckets:
        if bucket in wiring.notifications:
            continue
        current = s3.get_bucket_notification_configuration(Bucket=bucket)
        if any(key.endswith("Configurations") for key in current):
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})


def _notifications(wiring: _Wiring, s3: Any, lam: Any, sqs: Any) -> None:
    senders: dict[str, list[str]] = {}  # queue ARN -> the buckets that notify it
    for bucket, kinds in sorted(wiring.notifications.items()):
        for config in kinds.get("Queue", []):
            senders.setdefault(config["QueueArn"], []).append(bucket)
    for queue_arn, buckets in sorted(senders.items()):
        account, name = queue_arn.split(":")[4:6]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        current = attributes.get("Attributes", {}).get("Policy")
        [statement] = s3_queue_policy(queue_arn, buckets, account)["Statement"]
        policy = json.dumps(_with_statement(current, statement))
        if policy != current:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    for bucket, kinds in sorted(wiring.notifications.items()):
        for config in kinds.get("LambdaFunction", []):
            _allow(lam, config["LambdaFunctionArn"], "s3.amazonaws.com", f"arn:aws:s3:::{bucket}")
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                f"{kind}Configurations": configs for kind, configs in sorted(kinds.items())
            },
        )


def _with_statement(current: str | None, statement: dict[str, Any]) -> dict[str, Any]:
    """The queue policy ``current`` (its JSON, or none) with ``statement`` in place of the
    statement of the same ``Sid``; every other statement, one added by hand say, is kept."""
    try:
        document = json.loads(current) if current else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    kept = [
        s
        for s in statements_of(document)
        if not (isinstance(s, dict) and s.get("Sid") == statement["Sid"])
    ]
    return {
        **document,
        "Version": document.get("Version", "2012-10-17"),
        "Statement": [*kept, statement],
    }


def s3_queue_policy(queue_arn: str, buckets: Sequence[str], account: str) -> dict[str, Any]:
    """The queue policy AWS's S3 docs give: S3 may send to ``queue_arn`` for ``buckets`` of
    ``account`` (its statement's ``Sid`` is ``S3SendsNotifications``)."""
    sources = [f"arn:aws:s3:::{b}" for b in sorted(buckets)]
    return queue_policy(queue_arn, "s3.amazonaws.com", sources, account, sid="S3SendsNotifications")


def queue_policy(
    queue_arn: str, service: str, sources: Sequence[str], account: str, sid: str = "ServiceSends"
) -> dict[str, Any]:
    """A queue policy letting ``service`` (``sns.amazonaws.com``) send to ``queue_arn`` on
    behalf of ``sources`` (ARNs) of ``account``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnLike": {"aws:SourceArn": list(sources)},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        ],
    }


def _subscriptions(wiring: _Wiring, sns: Any, lam: Any, place: Place) -> None:
    for topic, function, attributes in wiring.subscriptions:
        fn_arn = place.function_arn(function)
        _allow(lam, function, "sns.amazonaws.com", topic)
        existing = [
            s
            for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            if s["Endpoint"] == fn_arn
        ]
        if existing:
            for name, value in attributes.items():
                sns.set_subscription_attributes(
                    SubscriptionArn=existing[0]["SubscriptionArn"],
                    AttributeName=name,
                    AttributeValue=value,
                )
        else:
            sns.subscribe(
                TopicArn=topic,
                Protocol="lambda",
                Endpoint=fn_arn,
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )


def _stale_subscriptions(
    wiring: _Wiring, sns: Any, topics: Iterable[str], functions: Sequence[str]
) -> None:
    """Unsubscribe a deployed function from the app's topics it no longer listens to."""
    wanted = {(topic, function) for topic, function, _ in wiring.subscriptions}
    for topic in topics:
        for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
            endpoint = subscription["Endpoint"]
            if endpoint not in functions:
                continue
            name = endpoint.rsplit(":", 1)[-1]
            if (topic, name) not in wanted:
                sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])


# the tag on the schedule rules ``gearbox dev`` writes: the only rules it takes targets off
RULE_TAG = {"Key": "gearbox:wired-by", "Value": "gearbox dev"}


def _stale_schedules(wiring: _Wiring, events: Any, functions: Sequence[str]) -> None:
    """Take a deployed function off the schedule rules dev wrote that it no longer declares;
    delete such a rule left with no target. A rule made by hand is left alone."""
    wanted = {(rule, function) for rule, _, function, _ in wiring.schedules}
    for function_arn in functions:
        name = function_arn.rsplit(":", 1)[-1]
        for rule in events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"]:
            if (rule, name) in wanted:
                continue
            arn = events.describe_rule(Name=rule)["Arn"]
            if RULE_TAG not in events.list_tags_for_resource(ResourceARN=arn)["Tags"]:
                continue
            targets = events.list_targets_by_rule(Rule=rule)["Targets"]
            mine = [t["Id"] for t in targets if t["Arn"] == function_arn]
            if mine:
                events.remove_targets(Rule=rule, Ids=mine)
            if len(mine) == len(targets):
                events.delete_rule(Name=rule)


def _schedules(wiring: _Wiring, events: Any, lam: Any, place: Place) -> None:
    for rule, expression, function, input_text in wiring.schedules:
        rule_arn = events.put_rule(Name=rule, ScheduleExpression=expression, State="ENABLED")[
            "RuleArn"
        ]
        events.tag_resource(ResourceARN=rule_arn, Tags=[RULE_TAG])
        _allow(lam, function, "events.amazonaws.com", rule_arn)
        target: dict[str, Any] = {"Id": function[:64], "Arn": place.function_arn(function)}
        if input_text is not None:
            target["Input"] = input_text
        events.put_targets(Rule=rule, Targets=[target])


def _allow(lam: Any, function: str, principal: str, source_arn: str) -> None:
    """The function's resource policy lets ``principal`` invoke it for ``source_arn``."""
    statement = "gearbox-" + hashlib.sha256(f"{principal} {source_arn}".encode()).hexdigest()[:16]
    try:
        lam.add_permission(
            FunctionName=function,
            StatementId=statement,
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceConflictException":
            raise
