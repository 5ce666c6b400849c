"""``gearbox dev``: an app's graph brought up on the local cloud, kept in step with its code.

::

    load project -> graph (build, validate) -> packages -> apply (resources, roles,
    functions, triggers) -> stream the journal ... file change -> reload changed functions

``apply`` creates what the graph declares through boto3 against the local cloud, as a user's
own script would; ``stream`` turns the cloud's journal into one readable line per event;
``watch`` reports changed files; ``session`` ties them together.
"""
