import os

import boto3

ecs = boto3.client("ecs")


def handler(event, context):
    ecs.run_task(
        cluster=os.environ["CLUSTER"],
        taskDefinition="video-transcode:3",
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}
        },
        overrides={"containerOverrides": [{"name": "main", "command": [event["key"]]}]},
    )
