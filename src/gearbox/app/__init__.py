"""What user code imports, and the only part of Gearbox shipped inside a Lambda package.

This subpackage imports nothing but the standard library (``tests/unit/test_app_stdlib_only``
proves it for every module here), so a function's deployment package needs no Gearbox
dependency. The declaration API (``App``, resources, trigger decorators) lands here with the
app-model issue; until then the package holds only this promise and its test.
"""

__all__: list[str] = []
