import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket, key = os.environ["VIDEO_BUCKET"], event["key"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)
    try:
        parts = []
        for number, chunk in enumerate(event["chunks"], start=1):
            part = s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=chunk
            )
            parts.append({"ETag": part["ETag"], "PartNumber": number})
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        raise
