import boto3

ssm = boto3.client("ssm")


def load_config(path):
    config = {}
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=path, Recursive=True, WithDecryption=False):
        for parameter in page["Parameters"]:
            config[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
    return config


CONFIG = load_config("/shop/prod/")


def handler(event, context):
    return CONFIG.get(event["key"])
