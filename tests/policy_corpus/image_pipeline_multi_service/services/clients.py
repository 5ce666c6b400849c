import functools

import boto3


@functools.cache
def dynamodb():
    return boto3.client("dynamodb")


@functools.cache
def rekognition():
    return boto3.client("rekognition")
