"""The console served in-process for tests, in front of a real suite (tests/support/
suite.py): the same Flask application `ncms up` serves, on a free loopback port, with
waitress's threads instead of gunicorn's."""

from __future__ import annotations

import threading

import waitress

from console.app import create_app


class ConsoleServer:
    def __init__(self, settings, **overrides) -> None:
        self.app = create_app(settings.model_copy(update=overrides) if overrides else settings)
        self.server = waitress.create_server(self.app, host="127.0.0.1", port=0, threads=8,
                                             clear_untrusted_proxy_headers=True)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="console", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.close()
        self.app.extensions["ncms_console"].backends.close()
        self.thread.join(timeout=5)
