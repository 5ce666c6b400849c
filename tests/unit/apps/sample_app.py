"""A small two-app project, used by the graph tests (render output is saved under
tests/unit/expected/). Not a test module: pytest collects only test_*.py."""

from gearbox.app import App, Index, Key

shop = App("shop")
billing = App("billing")

uploads = shop.bucket("uploads")
jobs = shop.queue("extract-jobs", visibility_timeout=60)
events = shop.topic("object-events")
metadata = shop.table(
    "metadata",
    partition_key=Key("bucket"),
    sort_key=Key("key"),
    indexes=(Index("by-type", partition_key=Key("content_type")),),
    stream="NEW_IMAGE",
)
nightly = shop.schedule("nightly", "rate(1 day)", input={"kind": "nightly"})
invoices = shop.ref_queue("billing", "invoices")


@shop.on_s3(uploads, prefix="in/", via=jobs)
@shop.function(timeout=30, memory=256, environment={"TABLE_NAME": metadata, "MODE": "x"})
def extract(event, context):
    return None


@shop.on_sqs(jobs.dlq, batch_size=5)
def on_dead_letter(event, context):
    return None


@shop.function(environment={"INVOICES": invoices}, on_failure=events)
@shop.on_sns(events, filter_policy={"kind": ["image", "pdf"]})
@shop.on_dynamodb_stream(metadata, starting_position="TRIM_HORIZON")
def notify(event, context):
    return None


@shop.on_schedule(nightly)
@shop.on_schedule("rate(5 minutes)")
def sweep(event, context):
    return None


billing_invoices = billing.queue("invoices", dlq=False)
shop_extract = billing.ref_function("shop", "extract")


@billing.on_sqs(billing_invoices)
@billing.function(name="bill", on_success=shop_extract)
def handle_invoice(event, context):
    return None
