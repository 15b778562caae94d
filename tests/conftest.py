"""Shared fixtures: the database backend, fresh databases, real servers.

``--db=sqlite`` (default) or ``--db=postgresql`` chooses the backend every database
test runs on. Tests marked ``postgresql_only`` are deselected on SQLite runs. Where
PostgreSQL (or Mono) is missing, the tests that need it are skipped with the reason;
with ``CI=true`` a skipped test fails the run, because CI installs everything.
"""

from __future__ import annotations

import os

import pytest

from tests.support.databases import DatabaseFactory, postgres_reachable
from tests.support.suite import Suite


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("NCMS_TEST_DB", "sqlite"),
                     choices=("sqlite", "postgresql"), help="database backend for the tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--db") == "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgresql_only") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config):
    return f"database backend: {config.getoption('--db')}"


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; in CI every test must run",
                            red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def backend(pytestconfig) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def databases(backend, tmp_path_factory):
    if backend == "postgresql":
        reason = postgres_reachable()
        if reason:
            pytest.skip(reason)
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp("databases"))
    yield factory
    factory.close()


@pytest.fixture
def suite(databases, tmp_path):
    running = Suite(databases, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def identity(suite):
    """A running identity service; the suite gives admin and gateway stubs."""
    suite.start("identity")
    return suite


@pytest.fixture(scope="session")
def mono_client(tmp_path_factory):
    """The .NET HIS client, built once per run from a live gateway's WSDL."""
    from tests.support import mono

    missing = mono.missing_tools()
    if missing:
        pytest.skip(f"Mono is not installed ({', '.join(missing)} missing; "
                    "apt-get install mono-devel)")
    from gateway.app import GatewayApp
    from legacy.serving import ThreadedServer
    from runtime.settings import Settings

    workdir = tmp_path_factory.mktemp("mono")
    server = ThreadedServer(None, "127.0.0.1", 0, threads=2)
    url = f"http://127.0.0.1:{server.port}/NcmsService.asmx"
    server.set_app(GatewayApp(Settings(data_dir=workdir, gateway_public_url=url,
                                       gateway_client_secret="unused-for-the-wsdl")))
    server.start()
    try:
        return mono.build(f"{url}?wsdl", workdir)
    finally:
        server.stop()
