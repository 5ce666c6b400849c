"""The ``gearbox`` command: thin commands over the library (see ``main``)."""
