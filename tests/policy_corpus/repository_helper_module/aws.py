import os

import boto3

_resource = None


def get_table():
    global _resource
    if _resource is None:
        _resource = boto3.resource("dynamodb")
    return _resource.Table(os.environ["TASKS_TABLE"])
