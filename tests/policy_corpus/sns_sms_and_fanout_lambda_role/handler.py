import boto3

sns = boto3.client("sns")


def notify_phone(number: str, text: str) -> None:
    sns.publish(PhoneNumber=number, Message=text)


def handler(event, context):
    for contact in event["contacts"]:
        notify_phone(contact["phone"], f"Order {event['order_id']} shipped")
