import json
import os

import boto3

lambda_client = boto3.client("lambda")
WORKER = os.environ["WORKER_FUNCTION"]


def handler(event, context):
    for shard in range(event.get("shards", 4)):
        lambda_client.invoke(
            FunctionName=WORKER,
            InvocationType="Event",
            Payload=json.dumps({"shard": shard}).encode(),
        )
