import os

import boto3
from boto3.dynamodb.conditions import Attr, Key

table = boto3.resource("dynamodb").Table(os.environ["SESSIONS_TABLE"])


def active_sessions(user):
    return table.query(
        IndexName="by-user",
        KeyConditionExpression=Key("user_id").eq(user),
    )["Items"]


def expired():
    return table.scan(FilterExpression=Attr("expired").eq(True))["Items"]


def handler(event, context):
    if event.get("user"):
        return active_sessions(event["user"])
    return expired()
