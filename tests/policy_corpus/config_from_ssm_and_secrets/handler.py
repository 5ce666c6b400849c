import json

import boto3

ssm = boto3.client("ssm")
secrets = boto3.client("secretsmanager")


def handler(event, context):
    endpoint = ssm.get_parameter(Name="/payments/endpoint")["Parameter"]["Value"]
    api_key = json.loads(secrets.get_secret_value(SecretId="payments/api-key")["SecretString"])
    return {"endpoint": endpoint, "has_key": bool(api_key)}
