import json

import boto3

sfn = boto3.client("stepfunctions")


def approve(token, output):
    sfn.send_task_success(taskToken=token, output=json.dumps(output))


def reject(token, reason):
    sfn.send_task_failure(taskToken=token, error="Rejected", cause=reason)


def handler(event, context):
    body = json.loads(event["body"])
    if body["approved"]:
        approve(body["token"], {"by": body["user"]})
    else:
        reject(body["token"], body.get("reason", ""))
    return {"statusCode": 200}
