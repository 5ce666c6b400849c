import os

TABLE = os.environ["AUDIT_TABLE"]
