import json

import boto3

email = boto3.client("sesv2")


def handler(event, context):
    email.send_email(
        FromEmailAddress="orders@example.com",
        Destination={"ToAddresses": [event["to"]]},
        Content={"Template": {"TemplateName": "receipt", "TemplateData": json.dumps(event)}},
    )
