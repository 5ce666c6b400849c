import functools

import boto3


@functools.lru_cache(maxsize=None)
def dynamodb():
    return boto3.client("dynamodb")


@functools.lru_cache(maxsize=None)
def rekognition():
    return boto3.client("rekognition")
