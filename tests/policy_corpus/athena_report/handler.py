import time

import boto3

athena = boto3.client("athena")
QUERY = "SELECT day, count(*) FROM clicks GROUP BY day"


def run(query):
    qid = athena.start_query_execution(
        QueryString=query,
        WorkGroup="reports",
        ResultConfiguration={"OutputLocation": "s3://athena-results/reports/"},
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(1)
    return athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]


def handler(event, context):
    return {"rows": len(run(QUERY))}
