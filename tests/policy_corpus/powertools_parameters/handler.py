import os

import boto3
from aws_lambda_powertools.utilities import parameters

table = boto3.resource("dynamodb").Table(os.environ["RATES_TABLE"])


def handler(event, context):
    api_url = parameters.get_parameter("/rates/api-url", max_age=300)
    table.put_item(Item={"currency": event["currency"], "source": api_url})
