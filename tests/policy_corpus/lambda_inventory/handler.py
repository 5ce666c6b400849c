import boto3

awslambda = boto3.client("lambda")


def handler(event, context):
    runtimes = {}
    for page in awslambda.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            config = awslambda.get_function_configuration(FunctionName=fn["FunctionName"])
            runtimes[fn["FunctionName"]] = config.get("Runtime")
    return runtimes
