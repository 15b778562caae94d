"""The console's pages, one module per area."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import admin, auth, catalog, dashboard, funds, oversight

    for module in (auth, dashboard, admin, catalog, funds, oversight):
        app.register_blueprint(module.blueprint)
