import boto3

kinesis = boto3.client("kinesis")
STREAM = "telemetry"


def read_shard(shard_id):
    iterator = kinesis.get_shard_iterator(
        StreamName=STREAM, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]


def handler(event, context):
    shards = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"]
    return sum(len(read_shard(s["ShardId"])) for s in shards)
