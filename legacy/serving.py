"""Serving a legacy SOAP app from one process with waitress (threads, HTTP/1.1).

For a hospital's own service, whose traffic is the NCMS's occasional queries, and
for tests, which serve the gateway in-process. The NCMS's gateway itself runs under
gunicorn with several worker processes (server.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from waitress.server import create_server

log = logging.getLogger(__name__)


class ThreadedServer:
    """A waitress server on ``host:port`` (port 0: a free one), run in a thread."""

    def __init__(self, app: Callable, host: str, port: int, *, threads: int = 8, name: str = "soap",
                 clear_untrusted_proxy_headers: bool = False) -> None:
        self._app = app
        # Like gunicorn: X-Forwarded-For is passed on, the app judges it (TrustedProxies).
        self.server = create_server(lambda environ, start: self._app(environ, start), host=host, port=port,
                                    threads=threads, ident="ncms",
                                    clear_untrusted_proxy_headers=clear_untrusted_proxy_headers)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def set_app(self, app: Callable) -> None:
        """Serve ``app`` (built after the port was known, e.g. for its WSGI address)."""
        self._app = app

    def start(self) -> ThreadedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Close every channel from inside the server's own loop, which then ends.

        Never ``server.close()`` from another thread: waitress's closing is not
        thread-safe (the loop may close the same descriptors at once, and a descriptor
        closed twice closes whatever reused its number), and the loop would go on
        serving the open connections.
        """
        server = self.server

        def close_all() -> None:
            for channel in list(server._map.values()):
                try:
                    channel.close()
                except OSError:  # its descriptor is gone already (below)
                    server._map.pop(channel._fileno, None)

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            # The trigger's pipe was already closed under waitress (EBADF; seen at the end
            # of tests under load, probably descriptors closed twice by another server in
            # the process that was closed from outside its loop). The loop ends once its
            # map is empty, so the channels are closed from here instead.
            log.warning("%s: the server's wake-up pipe is closed; closing its connections directly",
                        self.thread.name)
            close_all()
        self.thread.join(timeout=5)
        server.task_dispatcher.shutdown()
