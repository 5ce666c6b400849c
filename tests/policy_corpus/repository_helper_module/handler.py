from aws import get_table
from repository import TaskRepository

repo = TaskRepository(get_table())


def handler(event, context):
    if event["action"] == "complete":
        repo.complete(event["task_id"])
    elif event["action"] == "remove":
        repo.remove(event["task_id"])
