import json
import os
import uuid

import boto3

sfn = boto3.client("stepfunctions")


def handler(event, context):
    arn = os.environ["STATE_MACHINE_ARN"]
    result = sfn.start_execution(
        stateMachineArn=arn, name=str(uuid.uuid4()), input=json.dumps(event)
    )
    return {"executionArn": result["executionArn"]}
