"""The console served in-process for tests, in front of a real suite (tests/support/
suite.py): the same Flask application `ncms up` serves, on a free loopback port, with
waitress's threads instead of gunicorn's."""

from __future__ import annotations

from console.app import create_app
from legacy.serving import ThreadedServer


class ConsoleServer:
    def __init__(self, settings, **overrides) -> None:
        self.app = create_app(settings.model_copy(update=overrides) if overrides else settings)
        self.server = ThreadedServer(self.app, "127.0.0.1", 0, threads=8, name="console",
                                     clear_untrusted_proxy_headers=True).start()
        self.url = f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.stop()  # from inside waitress's loop, which then ends
        self.app.extensions["ncms_console"].backends.close()
