import os

import boto3


class Cache:
    client = boto3.client("dynamodb")
    table = os.environ["CACHE_TABLE"]

    @classmethod
    def get(cls, key):
        item = cls.client.get_item(TableName=cls.table, Key={"k": {"S": key}}).get("Item")
        return item["v"]["S"] if item else None

    @classmethod
    def put(cls, key, value):
        cls.client.put_item(TableName=cls.table, Item={"k": {"S": key}, "v": {"S": value}})


def handler(event, context):
    cached = Cache.get(event["url"])
    if cached is None:
        cached = event["url"].upper()
        Cache.put(event["url"], cached)
    return cached
