import boto3

dynamodb = boto3.resource("dynamodb")


def handler(event, context):
    table = dynamodb.Table(event.get("table", "imports-staging"))
    table.wait_until_exists()
    return {"items": table.item_count, "status": table.table_status}
