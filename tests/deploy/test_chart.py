"""The Helm chart (deploy/helm/refactortrack), checked without a cluster.

It is rendered with its default values and with the managed-services example, validated
strictly against the Kubernetes schemas (and KEDA's CRDs) of the oldest and newest
Kubernetes it supports, and the rendered objects are held to the rules the chart
promises: probes, resources, a locked-down security context, workers never scaled past
the partition count, and no secret value in any manifest. The tools come from
deploy/helm/tools.sh (built once into the tool cache, a second or less after that).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.worker import worker_app_id
from core.settings import Settings

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "refactortrack"
TOOLS_SCRIPT = ROOT / "deploy" / "helm" / "tools.sh"
VALUES_FILES = {
    "defaults": CHART / "values.yaml",
    "managed-services": CHART / "examples" / "managed-services.yaml",
}
HOOK = "helm.sh/hook"
WORKLOADS = ("Deployment", "Job")
WORKER_DATA_DIR = "/var/lib/refactortrack"
# Names of variables that hold a secret: they must come from a Secret, never a value.
SECRET_VARIABLES = (
    "JWT_SECRET",
    "DATA_MASTER_KEY",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "OPENSEARCH_PASSWORD",
    "MONGODB_URL",
    "KAFKA_ADMIN_PASSWORD",
    "KAFKA_GATEWAY_PASSWORD",
    "KAFKA_WORKER_PASSWORD",
    "KAFKA_JOBS_PASSWORD",
    "METRICS_TOKEN",
)


@dataclass(frozen=True)
class Tools:
    helm: str
    kubeconform: str
    k8s_schemas: str
    keda_schemas: str
    k8s_versions: tuple[str, ...]


@pytest.fixture(scope="module")
def tools() -> Tools:
    env = {**os.environ, "PYTHON": sys.executable}
    try:
        done = subprocess.run(
            ["bash", str(TOOLS_SCRIPT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=3000,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{TOOLS_SCRIPT} did not finish installing helm and kubeconform in time")
    if done.returncode != 0:
        # Only a tool that cannot be had here (no Go, no registry): say which, and why.
        pytest.skip(f"the chart's tools could not be installed: {done.stderr.strip()[-1500:]}")
    found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return Tools(
        helm=found["HELM"],
        kubeconform=found["KUBECONFORM"],
        k8s_schemas=found["K8S_SCHEMAS"],
        keda_schemas=found["KEDA_SCHEMAS"],
        k8s_versions=tuple(found["K8S_VERSIONS"].split()),
    )


def helm_template(
    tools: Tools, values: Path, kube_version: str, *sets: str
) -> subprocess.CompletedProcess[str]:
    command = [tools.helm, "template", "rt", str(CHART), "-n", "refactortrack"]
    command += ["--kube-version", kube_version, "-f", str(values)]
    for item in sets:
        command += ["--set", item]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def load_values(name: str) -> dict[str, Any]:
    """The values the chart renders with for `name`: the defaults, overlaid by the file."""
    merged: dict[str, Any] = yaml.safe_load(VALUES_FILES["defaults"].read_text())

    def overlay(base: dict[str, Any], extra: dict[str, Any]) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                overlay(base[key], value)
            else:
                base[key] = value

    overlay(merged, yaml.safe_load(VALUES_FILES[name].read_text()))
    return merged


@dataclass(frozen=True)
class Rendered:
    name: str
    kube_version: str
    text: str
    objects: list[dict[str, Any]]
    values: dict[str, Any]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]


@pytest.fixture(
    scope="module",
    params=[(name, index) for name in VALUES_FILES for index in (0, 1)],
    ids=lambda p: f"{p[0]}-k8s{'oldest' if p[1] == 0 else 'newest'}",
)
def rendered(request: pytest.FixtureRequest, tools: Tools) -> Rendered:
    name, index = request.param
    kube_version = tools.k8s_versions[0 if index == 0 else -1]
    done = helm_template(tools, VALUES_FILES[name], kube_version)
    assert done.returncode == 0, done.stderr
    objects = [o for o in yaml.safe_load_all(done.stdout) if o]
    return Rendered(name, kube_version, done.stdout, objects, load_values(name))


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def containers(rendered: Rendered) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, container) for every container of every Deployment and Job."""
    for obj in rendered.objects:
        if obj["kind"] in WORKLOADS:
            spec = pod_spec(obj)
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield obj, container


def is_hook(obj: dict[str, Any]) -> bool:
    return HOOK in (obj["metadata"].get("annotations") or {})


def label(obj: dict[str, Any], container: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']} container {container['name']}"


# --- validity ------------------------------------------------------------------------


def test_the_chart_passes_helm_lint(tools: Tools) -> None:
    for values in VALUES_FILES.values():
        done = subprocess.run(
            [
                tools.helm,
                "lint",
                "--strict",
                str(CHART),
                "-f",
                str(values),
                "--kube-version",
                tools.k8s_versions[0],
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_object_is_valid_against_the_kubernetes_and_keda_schemas(
    tools: Tools, rendered: Rendered, tmp_path: Path
) -> None:
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(rendered.text)
    done = subprocess.run(
        [
            tools.kubeconform,
            "-strict",
            "-summary",
            "-output",
            "text",
            "-kubernetes-version",
            rendered.kube_version,
            "-schema-location",
            tools.k8s_schemas,
            "-schema-location",
            tools.keda_schemas + "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every object was checked against a schema: none was skipped for want of one.
    assert "Skipped: 0" in done.stdout, done.stdout
    assert f"Valid: {len(rendered.objects)}," in done.stdout, done.stdout


def test_the_expected_objects_are_rendered(rendered: Rendered) -> None:
    kinds = {o["kind"] for o in rendered.objects}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ScaledObject",
        "TriggerAuthentication",
        "NetworkPolicy",
        "Job",
    } <= kinds
    workers = {o["metadata"]["name"] for o in rendered.of_kind("Deployment")}
    assert {
        "rt-refactortrack-gateway",
        "rt-refactortrack-worker-commands",
        "rt-refactortrack-worker-followers",
    } <= workers
    migrate = [o for o in rendered.of_kind("Job") if o["metadata"]["name"].endswith("-migrate")]
    assert [o["metadata"]["annotations"][HOOK] for o in migrate] == ["pre-install,pre-upgrade"]


# --- the pods ------------------------------------------------------------------------


def test_every_long_running_container_has_liveness_and_readiness_probes(
    rendered: Rendered,
) -> None:
    for obj, container in containers(rendered):
        if obj["kind"] == "Job":
            continue
        assert container.get("livenessProbe"), label(obj, container)
        assert container.get("readinessProbe"), label(obj, container)


def test_the_gateway_probes_its_health_and_ready_routes(rendered: Rendered) -> None:
    [gateway] = [
        o for o in rendered.of_kind("Deployment") if o["metadata"]["name"].endswith("gateway")
    ]
    [container] = pod_spec(gateway)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_every_container_has_resource_requests_and_limits(rendered: Rendered) -> None:
    for obj, container in containers(rendered):
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(kind) or {}), (
                f"{label(obj, container)}: {kind}"
            )


def test_every_container_runs_as_non_root_on_a_read_only_root(rendered: Rendered) -> None:
    for obj, container in containers(rendered):
        pod = pod_spec(obj).get("securityContext") or {}
        own = container.get("securityContext") or {}
        where = label(obj, container)
        assert own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
        assert own.get("runAsUser", pod.get("runAsUser", 0)) != 0, where
        assert own.get("readOnlyRootFilesystem") is True, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("privileged", False) is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not own.get("capabilities", {}).get("add"), where
        assert pod_spec(obj).get("automountServiceAccountToken") is False, where


def test_what_the_app_writes_is_on_a_writable_volume(rendered: Rendered) -> None:
    for obj, container in containers(rendered):
        volumes = {v["name"]: v for v in pod_spec(obj).get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "emptyDir" in volumes[mounts["/tmp"]], label(obj, container)
        if container["args"][0] == "worker":
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["WORKER_DATA_DIR"] == WORKER_DATA_DIR
            assert "emptyDir" in volumes[mounts[WORKER_DATA_DIR]], label(obj, container)


def test_workers_run_agent_groups_the_worker_command_accepts(rendered: Rendered) -> None:
    accepted = set(typing.get_args(Settings.model_fields["worker_agents"].annotation))
    groups = []
    for _, container in containers(rendered):
        if container["args"][0] == "worker":
            assert container["args"][1] == "--agents"
            groups.append(container["args"][2])
    assert groups
    assert set(groups) <= accepted


def test_keda_watches_the_consumer_group_each_worker_joins(rendered: Rendered) -> None:
    """The followers and the analytics have groups of their own (app/worker.py): a
    ScaledObject on another group would scale on a lag that never moves."""
    agents = {
        obj["metadata"]["name"]: container["args"][2]
        for obj, container in containers(rendered)
        if obj["kind"] == "Deployment" and container["args"][0] == "worker"
    }
    group = rendered.values["kafka"]["workerGroup"]
    for obj in rendered.of_kind("ScaledObject"):
        target = agents[obj["spec"]["scaleTargetRef"]["name"]]
        settings = Settings.model_validate({"WORKER_ID": group, "WORKER_AGENTS": target})
        [trigger] = obj["spec"]["triggers"]
        assert trigger["metadata"]["consumerGroup"] == worker_app_id(settings), target


def test_every_variable_the_chart_sets_is_a_setting_of_the_app(rendered: Rendered) -> None:
    settings = {field.alias for field in Settings.model_fields.values()}
    for obj, container in containers(rendered):
        for entry in container.get("env", []):
            if entry["name"].startswith("RT_BOOTSTRAP_"):  # the bootstrap job's own
                continue
            assert entry["name"] in settings, f"{label(obj, container)}: {entry['name']}"


# --- scaling -------------------------------------------------------------------------


def test_no_worker_group_scales_past_the_partition_count(rendered: Rendered) -> None:
    partitions = int(rendered.values["kafka"]["partitions"])
    scaled = rendered.of_kind("ScaledObject")
    assert scaled
    for obj in scaled:
        assert 1 <= obj["spec"]["minReplicaCount"] <= obj["spec"]["maxReplicaCount"]
        assert obj["spec"]["maxReplicaCount"] <= partitions, obj["metadata"]["name"]
        [trigger] = obj["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        assert trigger["authenticationRef"]["name"]
    # ... and the topics are created with that same count.
    for _, container in containers(rendered):
        env = {e["name"]: e.get("value") for e in container["env"]}
        if "KAFKA_PARTITIONS" in env:
            assert env["KAFKA_PARTITIONS"] == str(partitions)


def test_the_chart_refuses_a_ceiling_above_the_partition_count(tools: Tools) -> None:
    done = helm_template(
        tools,
        VALUES_FILES["defaults"],
        tools.k8s_versions[0],
        "kafka.partitions=4",
        "workers.commands.autoscaling.maxReplicas=5",
    )
    assert done.returncode != 0
    assert "workers.commands.autoscaling.maxReplicas (5) is more than kafka.partitions (4)" in (
        done.stderr
    )


def test_the_chart_refuses_min_insync_above_the_replication_factor(tools: Tools) -> None:
    done = helm_template(
        tools,
        VALUES_FILES["defaults"],
        tools.k8s_versions[0],
        "kafka.replicationFactor=2",
        "kafka.minInsyncReplicas=3",
    )
    assert done.returncode != 0
    assert "kafka.minInsyncReplicas (3) must be between 1 and kafka.replicationFactor (2)" in (
        done.stderr
    )


# --- secrets and the network ---------------------------------------------------------


def literal_values(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(literal_values(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(literal_values(v) for v in node))
    return {str(node)} if node is not None and len(str(node)) >= 3 else set()


def test_no_secret_carries_a_value_from_the_values_files(rendered: Rendered) -> None:
    literals = literal_values(rendered.values)
    for obj in rendered.of_kind("Secret"):
        data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
        data |= obj.get("stringData") or {}
        leaked = set(data.values()) & literals
        assert not leaked, f"Secret {obj['metadata']['name']} holds values from values.yaml"


def test_secret_variables_come_from_secrets_only(rendered: Rendered) -> None:
    for obj, container in containers(rendered):
        for entry in container.get("env", []):
            if entry["name"] in SECRET_VARIABLES or "PASSWORD" in entry["name"]:
                assert "value" not in entry, f"{label(obj, container)}: {entry['name']}"
                assert entry["valueFrom"]["secretKeyRef"]["name"], label(obj, container)


def test_each_process_gets_only_its_own_kafka_password(rendered: Rendered) -> None:
    expected = {
        "gateway": {"KAFKA_GATEWAY_PASSWORD"},
        "worker": {"KAFKA_WORKER_PASSWORD"},
        "migrate": {"KAFKA_ADMIN_PASSWORD"},
        "users": set(),
    }
    for obj, container in containers(rendered):
        names = {e["name"] for e in container["env"] if e["name"].startswith("KAFKA_")}
        passwords = {n for n in names if n.endswith("_PASSWORD")}
        assert passwords == expected[container["args"][0]], label(obj, container)


def test_workers_take_no_connection_and_the_gateway_only_on_its_port(
    rendered: Rendered,
) -> None:
    policies = {o["metadata"]["name"]: o["spec"] for o in rendered.of_kind("NetworkPolicy")}
    workers = policies["rt-refactortrack-workers"]
    assert "Ingress" in workers["policyTypes"]
    assert workers["ingress"] == []
    jobs = policies["rt-refactortrack-jobs"]
    assert "Ingress" in jobs["policyTypes"]
    assert jobs["ingress"] == []
    gateway = policies["rt-refactortrack-gateway"]
    assert [rule["ports"] for rule in gateway["ingress"]] == [[{"protocol": "TCP", "port": "http"}]]
    for spec in policies.values():
        assert "Egress" in spec["policyTypes"]
        ports = {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}
        assert int(rendered.values["postgres"]["port"]) in ports
        assert int(rendered.values["redis"]["port"]) in ports
