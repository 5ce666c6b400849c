import os

import boto3


class Notifier:
    def __init__(self, topic_arn):
        self.topic_arn = topic_arn
        self.sns = boto3.client("sns")

    def alert(self, subject, message):
        self.sns.publish(TopicArn=self.topic_arn, Subject=subject, Message=message)


notifier = Notifier(os.environ["ALERT_TOPIC_ARN"])


def handler(event, context):
    for alarm in event.get("alarms", []):
        notifier.alert(f"Alarm {alarm['name']}", alarm["reason"])
