"""The Grafana dashboard and the Prometheus alert rules (deploy/monitoring/), held to the code.

Every PromQL expression of both files may name only metrics the code defines (read from
the metric objects themselves, so a renamed metric breaks this test, not a dashboard in
production), plus the few named in EXTERNAL; the labels it matches on or groups by must
be the metric's own or the scrape's. Every metric the code defines is shown or alerted
on somewhere. The rules file has the shape Prometheus loads, and `promtool check rules`
(deploy/monitoring/tools.sh builds it) parses it and every dashboard expression, and
`promtool test rules` shows each alert firing on made-up series of its fault, and quiet
on healthy ones. The chart's PrometheusRule carries the same rules.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram

from agents import metrics as worker_metrics
from app import worker_health
from gateway import metrics as gateway_metrics

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "prometheus-rules.yaml"
RULE_TESTS = MONITORING / "prometheus-rules.test.yaml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
TOOLS_SCRIPT = MONITORING / "tools.sh"
CHART = ROOT / "deploy" / "helm" / "refactortrack"
CHART_RULES = CHART / "files" / "prometheus-rules.yaml"
HELM_TOOLS_SCRIPT = ROOT / "deploy" / "helm" / "tools.sh"

APP_METRICS: tuple[Counter | Gauge | Histogram, ...] = (
    gateway_metrics.REQUESTS,
    gateway_metrics.LATENCY,
    gateway_metrics.COMMAND_WAITS,
    worker_metrics.COMMANDS,
    worker_metrics.DEAD_LETTERS,
    worker_metrics.HANDLER_SECONDS,
    worker_metrics.BATCHES,
    worker_health.LAG,
    worker_health.READY,
)
# Metrics the files may use that the app does not define, with where they come from.
EXTERNAL = {
    "up": "Prometheus itself, per scrape target",
    "kafka_topic_partition_current_offset": "kafka_exporter",
    "kafka_topic_partition_oldest_offset": "kafka_exporter",
}
# Labels every scraped series carries (Prometheus' and Kubernetes service discovery's).
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod"})
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
OPERATORS = frozenset({"and", "or", "unless", "bool", "offset"})
# Aggregations may take their grouping before the parentheses: `sum by (x) (...)`.
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
    | {"bottomk", "topk", "quantile", "limitk", "limit_ratio"}
)
# Grafana's variables, as Prometheus would see them once Grafana has substituted them.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$route": ".*", "$group": ".*"}
SEVERITIES = frozenset({"page", "ticket"})
DURATION = re.compile(r"^(\d+[smhdwy])+$")


@dataclass(frozen=True)
class Exposed:
    family: str
    labels: frozenset[str]


def exposed_names() -> dict[str, Exposed]:
    """Each series name a scrape shows for the app's metrics, with its labels."""
    names: dict[str, Exposed] = {}
    for metric in APP_METRICS:
        labels = frozenset(metric._labelnames)
        for family in metric.describe():
            for suffix in SUFFIXES[family.type]:
                extra = {"le"} if suffix == "_bucket" else set()
                names[family.name + suffix] = Exposed(family.name, labels | extra)
    return names


TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      |(?P<braces>\{[^}]*\})
      |(?P<range>\[[^\]]*\])
      |(?P<duration>\d+[smhdwy]\b)
      |(?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)
      |(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
      |(?P<open>\()
      |(?P<other>\S)""",
    re.VERBOSE,
)
MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")


@dataclass
class Parsed:
    metrics: list[tuple[str, set[str]]]
    grouping: set[str]


def parse(expr: str) -> Parsed:
    """The metric selectors (name, matched labels) and the grouping labels of `expr`.

    A small tokenizer, not a PromQL parser: promtool checks the syntax; this finds names.
    """
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    tokens = [(m.lastgroup, m.group()) for m in TOKEN.finditer(expr)]
    parsed = Parsed([], set())
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else (None, "")
        if kind == "ident" and text in GROUPING and following[0] == "open":
            close = next(j for j in range(i + 2, len(tokens)) if tokens[j][1] == ")")
            parsed.grouping |= {t for k, t in tokens[i + 2 : close] if k == "ident"}
            i = close + 1
            continue
        is_word = text in OPERATORS or text in AGGREGATIONS
        if kind == "ident" and following[0] != "open" and not is_word:
            matched: set[str] = set()
            if following[0] == "braces":
                matched = set(MATCHER.findall(following[1]))
            parsed.metrics.append((text, matched))
        i += 1
    return parsed


def rules_file() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES.read_text())
    return loaded


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def rule_expressions() -> dict[str, str]:
    return {
        rule.get("alert") or rule["record"]: rule["expr"]
        for group in rules_file()["groups"]
        for rule in group["rules"]
    }


def dashboard_expressions() -> dict[str, str]:
    found = {}
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            found[f"{panel['title']} / {target['refId']}"] = target["expr"]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            # label_values(metric, label): Grafana's, not PromQL; the metric and label count.
            metric, label = re.fullmatch(
                r"label_values\((\w+),\s*(\w+)\)", variable["definition"]
            ).groups()  # type: ignore[union-attr]
            found[f"variable {variable['name']}"] = f"count by ({label}) ({metric})"
    return found


def all_expressions() -> dict[str, str]:
    return {**{f"rule {k}": v for k, v in rule_expressions().items()}, **dashboard_expressions()}


def test_the_parser_finds_names_and_labels() -> None:
    parsed = parse(
        'histogram_quantile(0.95, sum by (route, le) (rate(rt_x_bucket{route=~"$route",'
        ' status!="5.."}[$__rate_interval]))) > 1e3 and on (job) up offset 5m'
    )
    assert parsed.metrics == [("rt_x_bucket", {"route", "status"}), ("up", set())]
    assert parsed.grouping == {"route", "le", "job"}


@pytest.mark.parametrize("where", sorted(all_expressions()))
def test_expressions_name_only_metrics_and_labels_the_code_defines(where: str) -> None:
    expr = all_expressions()[where]
    names = exposed_names()
    parsed = parse(expr)
    assert parsed.metrics, f"{where}: no metric in {expr!r}"
    labels_here = set(TARGET_LABELS)
    for name, matched in parsed.metrics:
        if name in EXTERNAL:
            labels_here |= matched
            continue
        assert name in names, f"{where}: {name} is not a metric the code defines ({sorted(names)})"
        own = names[name].labels | TARGET_LABELS
        assert matched <= own, f"{where}: {name} has no label {sorted(matched - own)}"
        labels_here |= own
    unknown = parsed.grouping - labels_here
    assert not unknown, f"{where}: groups by {sorted(unknown)}, which no metric in it has"


def test_every_metric_the_code_defines_is_shown_or_alerted_on() -> None:
    names = exposed_names()
    used = {
        names[name].family
        for expr in all_expressions().values()
        for name, _ in parse(expr).metrics
        if name in names
    }
    defined = {exposed.family for exposed in names.values()}
    assert defined == used, f"not on the dashboard nor in a rule: {sorted(defined - used)}"


def test_the_rules_file_has_the_shape_prometheus_loads() -> None:
    loaded = rules_file()
    assert set(loaded) == {"groups"}
    group_names = [group["name"] for group in loaded["groups"]]
    assert len(group_names) == len(set(group_names))
    alerts: list[str] = []
    for group in loaded["groups"]:
        assert set(group) <= {"name", "interval", "rules"}, group["name"]
        assert group["rules"], f"group {group['name']} has no rules"
        for rule in group["rules"]:
            name = rule.get("alert")
            assert name, f"group {group['name']}: only alerting rules here, each named"
            assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
            assert isinstance(rule["expr"], str), name
            assert rule["expr"].strip(), name
            if "for" in rule:
                assert DURATION.match(rule["for"]), f"{name}: for: {rule['for']!r}"
            assert rule["labels"]["severity"] in SEVERITIES, name
            assert all(isinstance(v, str) for v in rule["labels"].values()), name
            assert {"summary", "description"} <= set(rule["annotations"]), name
            alerts.append(name)
    assert len(alerts) == len(set(alerts)), "alert names repeat"
    # What the operators asked to be told about (docs/operations.md lists the same).
    for wanted in (
        "RefactorTrackConsumerLagGrowing",
        "RefactorTrackDeadLetters",
        "RefactorTrackDeadLetterTopicNotEmpty",
        "RefactorTrackHigh5xxRatio",
        "RefactorTrackWritesAnsweredAccepted",
        "RefactorTrackWorkerNotReady",
    ):
        assert wanted in alerts


def test_the_dashboard_has_the_shape_grafana_imports() -> None:
    board = dashboard()
    assert board["uid"]
    assert board["title"]
    assert isinstance(board["schemaVersion"], int)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    variables = {v["name"] for v in board["templating"]["list"]}
    assert "datasource" in variables
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        # Every query goes to the chosen Prometheus, never to a uid of someone's Grafana.
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["description"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            for used in re.findall(r"\$(\w+)", target["expr"]):
                assert used in variables or used == "__rate_interval", panel["title"]


@pytest.fixture(scope="module")
def promtool() -> str:
    try:
        done = subprocess.run(
            ["bash", str(TOOLS_SCRIPT)],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=3000,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{TOOLS_SCRIPT} did not finish building promtool in time")
    if done.returncode != 0:
        # Only when promtool cannot be had here (no Go, no module proxy): say why.
        pytest.skip(f"promtool could not be built: {done.stderr.strip()[-1500:]}")
    found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return found["PROMTOOL"]


def test_promtool_checks_the_rules(promtool: str) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_on_its_fault_and_not_on_health(promtool: str) -> None:
    """deploy/monitoring/prometheus-rules.test.yaml: series in, alerts expected out."""
    done = subprocess.run(
        [promtool, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == set(rule_expressions()), "every alert has a case in the test file"


def test_promtool_parses_every_dashboard_expression(promtool: str, tmp_path: Path) -> None:
    """Each panel's query, as a recording rule, so promtool parses its PromQL."""
    rules = []
    for n, expr in enumerate(dashboard_expressions().values()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{n}", "expr": expr})
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_chart_carries_the_same_rules() -> None:
    """Helm reads only the chart's own files, so the chart keeps a copy: the same bytes."""
    assert CHART_RULES.read_bytes() == RULES.read_bytes(), (
        f"copy {RULES.relative_to(ROOT)} to {CHART_RULES.relative_to(ROOT)}"
    )


def test_the_chart_renders_the_rules_as_a_prometheus_rule_when_asked() -> None:
    done = subprocess.run(
        ["bash", str(HELM_TOOLS_SCRIPT)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"helm could not be installed: {done.stderr.strip()[-1500:]}")
    helm = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)["HELM"]
    base = [helm, "template", "rt", str(CHART), "-n", "refactortrack", "--kube-version", "1.29.0"]

    def kinds(*sets: str) -> list[dict[str, Any]]:
        command = base + [arg for item in sets for arg in ("--set", item)]
        rendered = subprocess.run(command, capture_output=True, text=True, check=False)
        assert rendered.returncode == 0, rendered.stderr
        return [
            o for o in yaml.safe_load_all(rendered.stdout) if o and o["kind"] == "PrometheusRule"
        ]

    assert kinds() == [], "off by default: the CRD may not be installed"
    [rule] = kinds(
        "monitoring.prometheusRule.enabled=true", "monitoring.prometheusRule.labels.release=kps"
    )
    assert rule["metadata"]["labels"]["release"] == "kps"
    assert rule["spec"]["groups"] == rules_file()["groups"]
