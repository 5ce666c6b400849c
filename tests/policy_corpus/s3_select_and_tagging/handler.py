import os

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["EXPORTS_BUCKET"]


def handler(event, context):
    key = event["key"]
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]}
    if tags.get("format") != "csv":
        return {"skipped": key}
    result = s3.select_object_content(
        Bucket=BUCKET,
        Key=key,
        ExpressionType="SQL",
        Expression="SELECT count(*) FROM s3object",
        InputSerialization={"CSV": {"FileHeaderInfo": "USE"}},
        OutputSerialization={"JSON": {}},
    )
    s3.put_object_tagging(
        Bucket=BUCKET, Key=key, Tagging={"TagSet": [{"Key": "counted", "Value": "yes"}]}
    )
    return {"events": sum(1 for _ in result["Payload"])}
