import boto3

ses = boto3.client("ses", region_name="eu-west-1")
SENDER = "noreply@example.com"


def handler(event, context):
    ses.send_email(
        Source=SENDER,
        Destination={"ToAddresses": [event["email"]]},
        Message={
            "Subject": {"Data": "Your receipt"},
            "Body": {"Text": {"Data": f"Thanks for order {event['order_id']}"}},
        },
    )
