import base64
import json

import boto3

firehose = boto3.client("firehose")


def handler(event, context):
    records = [
        {"Data": (json.dumps(json.loads(base64.b64decode(r["kinesis"]["data"]))) + "\n").encode()}
        for r in event["Records"]
    ]
    firehose.put_record_batch(DeliveryStreamName="clicks-to-s3", Records=records)
