"""``gearbox dev``'s deployment of every trigger kind, checked by what reaches each function:
a direct S3 notification, a DynamoDB stream, an SNS subscription and a schedule."""

from __future__ import annotations

import json
import textwrap
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearbox.clock import ManualClock
from gearbox.dev.session import DevSession
from gearbox.local.cloud import LocalCloud
from tests.functional.dev_helpers import Printed, session_on
from tests.waiting import wait_for

APP = """
from gearbox.app import App, Key

app = App("wired")
photos = app.bucket("photos")
orders = app.table("orders", partition_key=Key("id"), stream="NEW_IMAGE")
done = app.topic("done")
tick = app.schedule("tick", "rate(1 minute)")


@app.on_s3(photos, events=("s3:ObjectCreated:*",), suffix=".png")
def resize(event, context):
    return event["Records"][0]["s3"]["object"]["key"]


@app.on_dynamodb_stream(orders, starting_position="TRIM_HORIZON", batch_size=5)
def ship(event, context):
    return [r["eventName"] for r in event["Records"]]


@app.on_sns(done, filter_policy={"kind": ["order"]})
def noted(event, context):
    return event["Records"][0]["Sns"]["Message"]


@app.on_schedule(tick)
def ticked(event, context):
    return event["detail-type"]
"""


def invocations(cloud: LocalCloud, function: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{cloud.endpoint_url}/_gearbox/journal", timeout=5) as answer:
        entries = json.load(answer)["entries"]
    return [e for e in entries if e["kind"] == "invocation" and e["function"] == function]


def deployed(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any], source: str
) -> tuple[Path, DevSession]:
    """``source`` written to app.py and deployed as ``gearbox dev`` does; the file and session."""
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(source))
    session = session_on(cloud, client, app)
    session.up()
    return app, session


def without_triggers(source: str) -> str:
    """``source`` with the same functions, each without its trigger."""
    bare = "\n".join(
        line for line in textwrap.dedent(source).splitlines() if not line.startswith("@app.on_")
    )
    return bare.replace("\ndef ", "\n@app.function()\ndef ")


def test_every_trigger_kind_reaches_its_function(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any], clock: ManualClock
) -> None:
    deployed(tmp_path, cloud, client, APP)

    client("s3").put_object(Bucket="wired-photos", Key="a.txt", Body=b"x")  # filtered out
    client("s3").put_object(Bucket="wired-photos", Key="b.png", Body=b"x")
    [resized] = wait_for(lambda: invocations(cloud, "wired-resize"))
    assert (resized["trigger"], resized["outcome"]) == ("async:s3", "ok")

    client("dynamodb").put_item(TableName="wired-orders", Item={"id": {"S": "1"}})
    [shipped] = wait_for(lambda: invocations(cloud, "wired-ship"))
    assert (shipped["trigger"], shipped["outcome"]) == ("dynamodb:wired-orders", "ok")

    topic = f"arn:aws:sns:us-east-1:{cloud.settings.account_id}:wired-done"
    sns = client("sns")
    attributes = {"kind": {"DataType": "String", "StringValue": "invoice"}}
    sns.publish(TopicArn=topic, Message="skip me", MessageAttributes=attributes)
    attributes["kind"]["StringValue"] = "order"
    sns.publish(TopicArn=topic, Message="order 1", MessageAttributes=attributes)
    [noted] = wait_for(lambda: invocations(cloud, "wired-noted"))
    assert (noted["trigger"], noted["outcome"]) == ("async:sns", "ok")

    # the schedules loop anchors a rule when it first reads it (every second of real time)
    wait_for(lambda: any(arn.endswith(":rule/wired-tick") for arn in cloud.schedules.known()))
    clock.advance(61)
    ticked = wait_for(lambda: invocations(cloud, "wired-ticked"))
    assert ticked[0]["trigger"] == "async:schedule"
    assert len(invocations(cloud, "wired-resize")) == 1  # a.txt did not match the suffix
    assert len(invocations(cloud, "wired-noted")) == 1  # "invoice" did not match the policy


QUEUED = """
from gearbox.app import App

app = App("renamed")
jobs = app.queue("jobs")


@app.on_sqs(jobs)
def {name}(event, context):
    return len(event["Records"])
"""


def test_a_function_dropped_from_the_declaration_is_removed_with_its_mapping(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any]
) -> None:
    app, session = deployed(tmp_path, cloud, client, QUEUED.format(name="old"))
    app.write_text(textwrap.dedent(QUEUED.format(name="new")))
    session.reload({app})
    lam = client("lambda")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == ["renamed-new"]
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[1] for m in mappings] == ["renamed-new"]
    assert isinstance(session.out, Printed)
    assert session.out.said[-1].endswith("; removed: renamed-old")


def test_a_trigger_dropped_from_a_kept_function_is_unwired(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any]
) -> None:
    app, session = deployed(tmp_path, cloud, client, APP)
    # the same functions, each without its trigger
    app.write_text(without_triggers(APP))
    session.reload({app})

    lam, s3, sns, events = (client(s) for s in ("lambda", "s3", "sns", "events"))
    names = sorted(f["FunctionName"] for f in lam.list_functions()["Functions"])
    assert names == ["wired-noted", "wired-resize", "wired-ship", "wired-ticked"]
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    notifications = s3.get_bucket_notification_configuration(Bucket="wired-photos")
    assert not [k for k in notifications if k.endswith("Configurations")]
    topic = f"arn:aws:sns:us-east-1:{cloud.settings.account_id}:wired-done"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    ticked = f"arn:aws:lambda:us-east-1:{cloud.settings.account_id}:function:wired-ticked"
    assert events.list_rule_names_by_target(TargetArn=ticked)["RuleNames"] == []
    assert "wired-tick" not in [r["Name"] for r in events.list_rules()["Rules"]]


VIA_QUEUE = """
from gearbox.app import App

app = App("via")
uploads = app.bucket("uploads")
jobs = app.queue("jobs")


@app.on_s3(uploads, via=jobs)
def work(event, context):
    return len(event["Records"])
"""


def test_the_queue_policy_keeps_statements_added_by_hand(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any]
) -> None:
    app, session = deployed(tmp_path, cloud, client, VIA_QUEUE)
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="via-jobs")["QueueUrl"]

    def statements() -> list[dict[str, Any]]:
        got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
        return list(json.loads(got["Policy"])["Statement"])

    [written] = statements()
    assert written["Sid"] == "S3SendsNotifications"
    assert written["Condition"]["ArnLike"]["aws:SourceArn"] == ["arn:aws:s3:::via-uploads"]
    by_hand = {
        "Sid": "TopicSends",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": written["Resource"],
    }
    policy = {"Version": "2012-10-17", "Statement": [by_hand, written]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    session.reload({app})  # written again, on a policy that has more than dev's statement
    assert statements() == [by_hand, written]
    client("s3").put_object(Bucket="via-uploads", Key="k", Body=b"x")
    wait_for(lambda: invocations(cloud, "via-work"))


def test_a_schedule_rule_made_by_hand_keeps_its_target(
    tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any]
) -> None:
    app, session = deployed(tmp_path, cloud, client, APP)
    events = client("events")
    ticked = f"arn:aws:lambda:us-east-1:{cloud.settings.account_id}:function:wired-ticked"
    events.put_rule(Name="by-hand", ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule="by-hand", Targets=[{"Id": "mine", "Arn": ticked}])
    session.reload({app})
    assert sorted(events.list_rule_names_by_target(TargetArn=ticked)["RuleNames"]) == [
        "by-hand",
        "wired-tick",
    ]
    app.write_text(without_triggers(APP))
    session.reload({app})  # dev's rule goes; the one made by hand stays, target and all
    assert events.list_rule_names_by_target(TargetArn=ticked)["RuleNames"] == ["by-hand"]
    assert events.list_targets_by_rule(Rule="by-hand")["Targets"][0]["Id"] == "mine"
