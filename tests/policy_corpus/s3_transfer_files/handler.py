import os
import subprocess

import boto3

s3 = boto3.client("s3")
SOURCE = os.environ["RAW_BUCKET"]
TARGET = os.environ["ARCHIVE_BUCKET"]


def handler(event, context):
    key = event["key"]
    local = f"/tmp/{os.path.basename(key)}"
    s3.download_file(SOURCE, key, local)
    subprocess.run(["gzip", "-f", local], check=True)
    s3.upload_file(local + ".gz", TARGET, key + ".gz")
