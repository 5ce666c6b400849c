import json
import os

import boto3

connections = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])


def handler(event, context):
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}",
    )
    for item in connections.scan(ProjectionExpression="connection_id")["Items"]:
        api.post_to_connection(ConnectionId=item["connection_id"], Data=json.dumps(event["body"]))
    return {"statusCode": 200}
