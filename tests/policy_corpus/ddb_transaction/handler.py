import os

import boto3

ddb = boto3.client("dynamodb")
ACCOUNTS = os.environ["ACCOUNTS_TABLE"]
LEDGER = os.environ["LEDGER_TABLE"]


def handler(event, context):
    ddb.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": ACCOUNTS,
                    "Key": {"id": {"S": event["account"]}},
                    "ConditionExpression": "attribute_exists(id)",
                }
            },
            {
                "Put": {
                    "TableName": LEDGER,
                    "Item": {"id": {"S": event["entry_id"]}, "amount": {"N": str(event["amount"])}},
                }
            },
        ]
    )
