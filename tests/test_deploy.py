"""The deployment: every kustomize overlay renders, the rendered manifests are valid
Kubernetes (checked offline against the API schemas), hold the promises the docs
make (non-root, read-only, probes, limits, one allowance per call path), and the
Dockerfile builds unprivileged images from a pinned base."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from runtime.grpc_server import LIVENESS
from runtime.tls import ALLOWED_CALLERS

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes the manifests promise to work on (gRPC probes are GA since
# 1.27), and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
CUSTOM_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "ScheduledBackup"),
                ("cert-manager.io/v1", "Issuer"), ("cert-manager.io/v1", "Certificate")}
SERVICES = {"identity": 50051, "catalog": 50052, "enrollment": 50053, "settlement": 50054}


def render(path: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    run = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / "overlays" / request.param)


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_every_manifest_is_valid_kubernetes(overlay):
    _, docs = overlay
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {error.message} "
                            f"at {'.'.join(map(str, error.path))}")
    kinds = {(d["apiVersion"], d["kind"]) for d in docs}
    assert {k for k in kinds if k[0].startswith("postgresql.cnpg.io")} <= CUSTOM_KINDS


def test_the_databases_are_declared_as_the_services_expect(overlay):
    name, docs = overlay
    clusters = of_kind(docs, "Cluster")
    assert sorted(clusters) == sorted(f"ncms-{s}-db" for s in SERVICES)
    for cluster in clusters.values():
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "app", "owner": "app"}
        assert cluster["spec"]["instances"] == (1 if name == "dev" else 3)
    if name == "prod":
        assert all("barmanObjectStore" in c["spec"]["backup"] for c in clusters.values())
        assert sorted(b["spec"]["cluster"]["name"] for b in of_kind(docs, "ScheduledBackup").values()) == \
            sorted(clusters)
    for service in SERVICES:
        deployment = of_kind(docs, "Deployment")[service]
        for container in [*deployment["spec"]["template"]["spec"]["containers"],
                          *deployment["spec"]["template"]["spec"]["initContainers"]]:
            url = next(e for e in container["env"] if e["name"] == f"NCMS_{service.upper()}_DATABASE_URL")
            # the Secret CloudNativePG generates for the cluster (or the operator creates)
            assert url["valueFrom"]["secretKeyRef"] == {"name": f"ncms-{service}-db-app", "key": "uri"}


def _containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_pods_run_unprivileged_with_limits_and_probes(overlay):
    _, docs = overlay
    deployments = of_kind(docs, "Deployment")
    assert set(SERVICES) | {"gateway", "ncms-admin", "otel-collector"} <= set(deployments)
    for name, deployment in deployments.items():
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for container in _containers(deployment):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), (name, container["name"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), (name, container["name"])
            assert ":" in container["image"] and not container["image"].endswith(":latest"), container["image"]
    for service, port in SERVICES.items():
        app = deployments[service]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            # the standard health service, on the plaintext health port (the gRPC port
            # speaks mutual TLS only, which probes do not)
            assert app[probe]["grpc"]["port"] == port + 10000, (service, probe)
        assert {"name": "health", "containerPort": port + 10000} in app["ports"]
        # started and alive when the process answers; ready when the service is (settlement:
        # once its copies are in sync, which must not restart it)
        assert app["startupProbe"]["grpc"]["service"] == app["livenessProbe"]["grpc"]["service"] == LIVENESS
        assert "service" not in app["readinessProbe"]["grpc"]
        init = deployments[service]["spec"]["template"]["spec"]["initContainers"][0]
        assert init["command"] == ["ncms", "migrate", service]
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == gateway["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_availability_and_scaling(overlay):
    _, docs = overlay
    budgets = of_kind(docs, "PodDisruptionBudget")
    assert set(SERVICES) | {"gateway"} <= set(budgets)
    autoscalers = of_kind(docs, "HorizontalPodAutoscaler")
    assert {a["spec"]["scaleTargetRef"]["name"] for a in autoscalers.values()} == {"gateway", "settlement"}
    services = of_kind(docs, "Service")
    for name, port in {**SERVICES, "gateway": 8080}.items():
        assert port in [p["port"] for p in services[name]["spec"]["ports"]]


def test_secrets_are_referenced_and_only_development_ones_generated(overlay):
    name, docs = overlay
    secrets = of_kind(docs, "Secret")
    if name == "prod":
        assert secrets == {}, "production secrets are created by the operator, never committed"
    else:
        assert {s.rsplit("-", 1)[0] for s in secrets} == {"ncms-keys", "ncms-clients"}
        for secret in secrets.values():
            assert all(b"dev-only" in __import__("base64").b64decode(v) for v in secret["data"].values())
    identity = of_kind(docs, "Deployment")["identity"]["spec"]["template"]["spec"]
    mounted = {v["name"]: v["secret"]["secretName"] for v in identity["volumes"] if "secret" in v}
    assert {n.rsplit("-", 1)[0] if name == "dev" and v != "tls" else n for v, n in mounted.items()} == \
        {"ncms-keys", "ncms-clients", "ncms-tls-identity"}
    config = of_kind(docs, "ConfigMap")["ncms-config"]["data"]
    assert config["NCMS_ENV"] == "production" and config["NCMS_MASTER_KEY_FILE"].startswith("/var/run/secrets/")
    assert config["OTEL_TRACES_EXPORTER"] == "otlp" and config["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4317")


def test_every_component_speaks_mutual_tls_with_a_certificate_naming_it(overlay):
    """cert-manager issues each component a certificate whose common name is the
    component (what services check, runtime/tls.py) into the Secret its pod mounts, from
    the suite's own authority; the configuration points every process at it."""
    _, docs = overlay
    config = of_kind(docs, "ConfigMap")["ncms-config"]["data"]
    assert {config[f"NCMS_TLS_{f}_FILE"] for f in ("CA", "CERT", "KEY")} == {
        "/var/run/secrets/ncms/tls/ca.crt", "/var/run/secrets/ncms/tls/tls.crt", "/var/run/secrets/ncms/tls/tls.key"}
    certificates = of_kind(docs, "Certificate")
    issuers = of_kind(docs, "Issuer")
    assert certificates["ncms-authority"]["spec"]["isCA"] is True
    assert issuers["ncms-authority"]["spec"]["ca"]["secretName"] == "ncms-authority"
    pods = {"ncms-admin": "ncms", **{name: name for name in [*SERVICES, "gateway"]}}
    for deployment, component in pods.items():
        spec = of_kind(docs, "Deployment")[deployment]["spec"]["template"]["spec"]
        volume = next(v for v in spec["volumes"] if v["name"] == "tls")
        certificate = certificates[volume["secret"]["secretName"]]["spec"]
        assert certificate["commonName"] == component and certificate["secretName"] == volume["secret"]["secretName"]
        assert certificate["issuerRef"]["name"] == "ncms-authority"
        assert set(certificate["usages"]) == {"server auth", "client auth"}
        if component in SERVICES:  # the name the others dial (NCMS_<SERVICE>_ADDRESS)
            assert config[f"NCMS_{component.upper()}_ADDRESS"].split(":")[0] in certificate["dnsNames"]
        app = spec["containers"][0]
        assert {"name": "tls", "mountPath": "/var/run/secrets/ncms/tls", "readOnly": True} in app["volumeMounts"]
        # a name the services know: a service's own, or one allowed to call some service
        assert component in ALLOWED_CALLERS or any(component in callers for callers in ALLOWED_CALLERS.values())


# --- network policies -------------------------------------------------------------------

def _selects(selector: dict, labels: dict) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present = expression["key"] in labels
        if expression["operator"] == "In" and labels.get(expression["key"]) not in expression["values"]:
            return False
        if expression["operator"] == "Exists" and not present:
            return False
    return True


def _peer_allows(peers: list[dict] | None, labels: dict, namespace: dict, port: int, ports: list | None) -> bool:
    if ports is not None and port not in [p["port"] for p in ports]:
        return False
    if peers is None:
        return True
    for peer in peers:
        if "ipBlock" in peer:
            continue
        pod_ok = "podSelector" not in peer or _selects(peer["podSelector"], labels)
        namespace_ok = ("namespaceSelector" not in peer and namespace.get("same", True)) or \
            ("namespaceSelector" in peer and _selects(peer["namespaceSelector"], namespace))
        if pod_ok and namespace_ok:
            return True
    return False


def allowed(policies: list[dict], source: dict, target: dict, port: int) -> bool:
    """Whether NetworkPolicies let a pod labelled ``source`` open ``port`` on a pod
    labelled ``target`` (both in the suite's namespace)."""
    here = {"same": True}
    egress = [p for p in policies if "Egress" in p["spec"]["policyTypes"]
              and _selects(p["spec"]["podSelector"], source)]
    ingress = [p for p in policies if "Ingress" in p["spec"]["policyTypes"]
               and _selects(p["spec"]["podSelector"], target)]
    out = any(_peer_allows(rule.get("to"), target, here, port, rule.get("ports"))
              for policy in egress for rule in policy["spec"].get("egress", []))
    into = any(_peer_allows(rule.get("from"), source, here, port, rule.get("ports"))
               for policy in ingress for rule in policy["spec"].get("ingress", []))
    return out and into


def admitted_from_namespace(policies: list[dict], namespace: dict, target: dict, port: int) -> bool:
    """Whether a pod in another namespace labelled ``namespace`` may open ``port`` on a
    pod of the suite labelled ``target`` (its egress is its own namespace's business)."""
    ingress = [p for p in policies if "Ingress" in p["spec"]["policyTypes"]
               and _selects(p["spec"]["podSelector"], target)]
    return any(_peer_allows(rule.get("from"), {}, {"same": False, **namespace}, port, rule.get("ports"))
               for policy in ingress for rule in policy["spec"].get("ingress", []))


def test_internal_systems_reach_the_token_service_and_every_service(overlay):
    """docs/internal-grpc.md: an internal system exchanges its secret for a token at
    identity, then calls the services; from a namespace labelled as an internal client."""
    _, docs = overlay
    policies = list(of_kind(docs, "NetworkPolicy").values())
    internal = {"ncms.io/internal-client": "true"}
    for service, port in SERVICES.items():
        target = {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "ncms"}
        assert admitted_from_namespace(policies, internal, target, port), f"internal system → {service}"
        assert not admitted_from_namespace(policies, {"team": "other"}, target, port), f"any namespace → {service}"


def test_network_policies_allow_exactly_the_call_paths(overlay):
    _, docs = overlay
    policies = list(of_kind(docs, "NetworkPolicy").values())
    assert any(p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies), "deny-all"

    def pod(name: str) -> dict:
        return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ncms"}

    def database(service: str) -> dict:
        return {"cnpg.io/cluster": f"ncms-{service}-db"}

    collector = {"app.kubernetes.io/name": "otel-collector"}
    paths = [("gateway", s, p) for s, p in SERVICES.items()]
    paths += [("settlement", s, SERVICES[s]) for s in ("identity", "catalog", "enrollment")]
    paths += [(s, "identity", 50051) for s in ("catalog", "enrollment")]
    paths += [("ncms-admin", s, p) for s, p in SERVICES.items()]
    for source, target, port in paths:
        assert allowed(policies, pod(source), pod(target), port), f"{source} → {target}:{port}"
    for service in SERVICES:
        assert allowed(policies, pod(service), database(service), 5432), f"{service} → its database"
        assert allowed(policies, pod(service), collector, 4317), f"{service} → collector"
        for other in set(SERVICES) - {service}:
            assert not allowed(policies, pod(service), database(other), 5432), f"{service} → {other}'s database"
    forbidden = [("gateway", "ncms-identity-db"), ("catalog", "settlement"), ("enrollment", "catalog"),
                 ("identity", "settlement"), ("catalog", "enrollment")]
    for source, target in forbidden:
        labels = {"cnpg.io/cluster": target} if target.endswith("-db") else pod(target)
        port = 5432 if target.endswith("-db") else SERVICES[target]
        assert not allowed(policies, pod(source), labels, port), f"{source} → {target} must be denied"


# --- images -------------------------------------------------------------------------------

def dockerfile_stages() -> dict[str, dict]:
    """Each stage: its base, its instructions."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    arguments = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    stages: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^FROM (\S+) AS (\S+)$", line)
        if match:
            base = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], match.group(1))
            current = stages[match.group(2)] = {"base": base, "lines": []}
        elif current is not None and line and not line.startswith("#"):
            current["lines"].append(line)
    return stages


def test_images_are_unprivileged_from_a_pinned_base():
    stages = dockerfile_stages()
    external = {stage["base"] for stage in stages.values() if stage["base"] not in stages}
    assert external, "no base image"
    for base in external:
        # an exact release (x.y.z), never a floating tag
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base

    def inherited(stage: str, prefix: str) -> list[str]:
        found = []
        while stage in stages:
            found = [line for line in stages[stage]["lines"] if line.startswith(prefix)] + found
            stage = stages[stage]["base"]
        return found

    components = {"identity", "catalog", "enrollment", "settlement", "gateway", "hospital"}
    assert components <= set(stages)
    for component in components:
        users = inherited(component, "USER ")
        assert users and users[-1] != "USER root" and re.fullmatch(r"USER [1-9]\d{3,}(:[1-9]\d{3,})?",
                                                                   users[-1]), (component, users)
        entrypoint = inherited(component, "ENTRYPOINT ")
        assert entrypoint and entrypoint[-1].startswith('ENTRYPOINT ["'), "exec form, signals reach the process"
        assert not any("ADD http" in line or "curl " in line for line in inherited(component, "")), component
    # the build tools stay in the build stage
    runtime = "\n".join(stages["runtime"]["lines"])
    assert "pip install" not in runtime and "COPY --from=build /opt/ncms /opt/ncms" in runtime
    # every image the manifests run is one of the Dockerfile's targets
    for overlay in OVERLAYS:
        for doc in render(K8S / "overlays" / overlay):
            if doc["kind"] != "Deployment" or doc["metadata"]["name"] == "otel-collector":
                continue
            for container in _containers(doc):
                image = container["image"].rsplit("/", 1)[-1].split(":")[0]
                assert image in stages, container["image"]
