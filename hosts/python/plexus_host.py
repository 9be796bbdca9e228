"""Plexus service host for Python 3 (standard library only).

    import sys; sys.path.insert(0, "hosts/python")
    from plexus_host import Host, Service, PlexusError

    svc = Service("pyecho", version=1)

    @svc.action("echo", idempotent=True)
    def echo(ctx, value):
        return value

    Host("tcp://127.0.0.1:7070", [svc], token="secret").serve_forever()

The code lives in the `plexus` package beside this file, one concept per module; this file
is the entry point the docs name.
"""

from plexus import *  # noqa: F401,F403
from plexus import __all__  # noqa: F401
