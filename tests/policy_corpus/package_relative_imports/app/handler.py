from .config import TABLE
from .store import save_event


def handler(event, context):
    save_event(TABLE, event)
    return {"ok": True}
