"""The console's deployment: its own unprivileged pod with probes and limits, its own
certificate, its secrets, HTTPS-only cookies, and exactly the network paths it needs
(ingress → console; console → the services and the gateway's health; nothing else)."""

from __future__ import annotations

import pytest

from tests.test_deploy import K8S, OVERLAYS, SERVICES, allowed, dockerfile_stages, of_kind, render  # noqa: F401


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / "overlays" / request.param)


def pod(name: str) -> dict:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ncms"}


def test_the_console_runs_unprivileged_with_probes_its_certificate_and_secrets(overlay):
    name, docs = overlay
    deployment = of_kind(docs, "Deployment")["console"]
    spec = deployment["spec"]["template"]["spec"]
    app = spec["containers"][0]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["automountServiceAccountToken"] is False
    assert app["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"cpu", "memory"} <= set(app["resources"]["limits"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert app[probe]["httpGet"]["path"] == "/healthz"
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["NCMS_CONSOLE_SECURE_COOKIES"] == "true" and env["NCMS_LISTEN_ADDRESS"] == "0.0.0.0:8070"
    volumes = {v["name"]: v for v in spec["volumes"]}
    certificate = of_kind(docs, "Certificate")[volumes["tls"]["secret"]["secretName"]]["spec"]
    assert certificate["commonName"] == "console"
    assert [i["key"] for i in volumes["clients"]["secret"]["items"]] == ["console-client-secret"]
    assert [i["key"] for i in volumes["console"]["secret"]["items"]] == ["console-secret-key"]
    config = of_kind(docs, "ConfigMap")["ncms-config"]["data"]
    assert config["NCMS_CONSOLE_CLIENT_SECRET_FILE"].endswith("/clients/console-client-secret")
    assert "console" in of_kind(docs, "PodDisruptionBudget")
    assert 8070 in [p["port"] for p in of_kind(docs, "Service")["console"]["spec"]["ports"]]
    if name == "dev":
        generated = of_kind(docs, "Secret")
        keys = {key for secret in generated.values() for key in secret["data"]}
        assert {"console-client-secret", "console-secret-key"} <= keys
    else:
        ingress = of_kind(docs, "Ingress")["console"]
        assert ingress["spec"]["tls"] and ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
            "name"] == "console"
        assert env.get("NCMS_CONSOLE_PUBLIC_URL", "").startswith("https://")


def test_the_console_has_exactly_its_network_paths(overlay):
    _, docs = overlay
    policies = list(of_kind(docs, "NetworkPolicy").values())
    for service, port in SERVICES.items():
        assert allowed(policies, pod("console"), pod(service), port), f"console → {service}"
    assert allowed(policies, pod("console"), pod("gateway"), 8080)
    assert not allowed(policies, pod("console"), {"cnpg.io/cluster": "ncms-identity-db"}, 5432)
    assert not allowed(policies, pod("gateway"), pod("console"), 8070)
    assert not allowed(policies, pod("catalog"), pod("console"), 8070)


def test_the_console_has_an_image_of_its_own():
    stage = dockerfile_stages()["console"]
    assert stage["base"] == "runtime"
    assert 'ENTRYPOINT ["python", "-m", "console"]' in stage["lines"]
