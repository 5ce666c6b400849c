class TaskRepository:
    def __init__(self, table):
        self._table = table

    def complete(self, task_id):
        self._table.update_item(
            Key={"id": task_id},
            UpdateExpression="SET done = :t",
            ExpressionAttributeValues={":t": True},
        )

    def remove(self, task_id):
        self._table.delete_item(Key={"id": task_id})
