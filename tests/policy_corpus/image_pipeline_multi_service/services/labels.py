from services.clients import rekognition


def detect_labels(bucket, key):
    response = rekognition().detect_labels(
        Image={"S3Object": {"Bucket": bucket, "Name": key}}, MaxLabels=10
    )
    return [label["Name"] for label in response["Labels"]]
