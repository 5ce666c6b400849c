import json
import os

import boto3

events = boto3.client("events")
BUS = os.environ["EVENT_BUS_NAME"]


def handler(event, context):
    entries = [
        {
            "Source": "shop.orders",
            "DetailType": "OrderPlaced",
            "Detail": json.dumps(order),
            "EventBusName": BUS,
        }
        for order in event["orders"]
    ]
    events.put_events(Entries=entries)
