import json
import os

import boto3

_secrets = boto3.client("secretsmanager")
_db = json.loads(_secrets.get_secret_value(SecretId=os.environ["DB_SECRET"])["SecretString"])


def handler(event, context):
    return {"host": _db["host"], "user": _db["username"]}
