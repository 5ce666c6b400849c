"""Schedules: EventBridge rules with a ScheduleExpression, and EventBridge Scheduler
schedules, invoking Lambda functions on the injected clock.

::

    rules and schedules (moto, read through boto3 against the local endpoint)
        -> ``expressions`` (rate / cron / at, parsed and evaluated; pure)
        -> ``scheduler.Schedules`` (due at clock.now()?) -> Lambda async invoke, with the
           scheduled event {"detail-type": "Scheduled Event", "source": "aws.events", ...}
           or the target's constant Input
    ``roles``: may a Scheduler schedule's execution role invoke its target function?

Where it differs from AWS: only Lambda function targets are invoked (other target types are
ignored); Input replaces the event, InputPath and InputTransformer are ignored; rules are read
from the default bus of the cloud's region only, and a new or changed rule is noticed within
``refresh_seconds`` of real time; a rate is anchored when Gearbox first sees the rule (AWS
anchors it near creation), and what fired is remembered in memory only, so a restart anchors
every rate again; after a clock jump only the most recent missed time fires. PutRule's own
validation of ScheduleExpression is moto's (looser than AWS's); a rule whose expression
``expressions`` rejects is logged and never fires. EventBridge Scheduler: UTC expressions only,
no StartDate/EndDate, flexible time windows or retry policies; a target without Input
receives ``{}``.
"""

from gearbox.local.schedules.expressions import InvalidScheduleExpression, parse
from gearbox.local.schedules.scheduler import Schedules, scheduled_event

__all__ = ["InvalidScheduleExpression", "Schedules", "parse", "scheduled_event"]
