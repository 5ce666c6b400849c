"""The object-metadata service's handlers, one module per function, plus their pure helpers.

Function modules (each is one Lambda function's entry point, packaged with what it imports):
``extract``, ``dead_letter``, ``thumbnail``, ``index``, ``notify``. Pure modules, unit-tested
without AWS: ``metadata`` (what an object is), ``failures`` (transient or permanent, retry or
record), ``plan`` (which steps follow an extraction). ``aws`` holds the boto3 clients a warm
environment reuses and the DynamoDB item conversions; ``steps`` records a step's progress.

Handlers read resource names from ``os.environ`` only (the declaration in ``app.py`` names
them) and import ``gearbox.app`` only for its runtime helpers (event views, ``ProcessState``,
``invoke_async``), which Gearbox ships inside every function.
"""
