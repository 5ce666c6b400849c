import os

import boto3

dynamodb = boto3.resource("dynamodb")
PROFILES = os.environ["PROFILES_TABLE"]


def handler(event, context):
    keys = [{"user_id": uid} for uid in event["user_ids"][:100]]
    response = dynamodb.batch_get_item(RequestItems={PROFILES: {"Keys": keys}})
    return response["Responses"][PROFILES]
