"""The shipped deployment files agree with each other and with the app: one image, port, user and health check;
one cookie secret supplied from outside, never committed; cookie affinity, never by client address."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = (ROOT / "Dockerfile").read_text()
HEALTH = "/_stcore/health"
SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
CLOUD_PYTHON = "3.12"  # the Python the CPU-wheel line of requirements.txt is marked for


def manifests() -> dict[str, dict]:
    docs = [d for f in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    return {d["kind"]: d for d in docs}


def container() -> dict:
    return manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def dockerfile(instruction: str) -> list[str]:
    """The arguments of every `instruction` line of the Dockerfile (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{instruction}\s+(.+)$", text, flags=re.M)]


def test_the_image_has_the_python_of_the_cpu_wheel_and_runs_as_the_user_kubernetes_expects():
    (base,) = dockerfile("FROM")
    assert re.fullmatch(rf"python:{re.escape(CLOUD_PYTHON)}-slim(-\w+)?", base), base
    (user,) = dockerfile("USER")
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]["securityContext"]
    assert user.isdigit() and int(user) != 0 and pod["runAsNonRoot"] and pod["runAsUser"] == int(user)
    assert any("pip install" in r and "-r requirements.txt" in r for r in dockerfile("RUN"))


def test_one_port_and_one_health_check_across_image_and_pods():
    (port,) = dockerfile("EXPOSE")
    (cmd,) = dockerfile("CMD")
    assert f"--server.port={port}" in cmd and "--server.address=0.0.0.0" in cmd
    (check,) = dockerfile("HEALTHCHECK")
    assert f"127.0.0.1:{port}{HEALTH}" in check
    c = container()
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": int(port)}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": HEALTH, "port": "http"}, probe


def test_service_and_ingress_reach_the_pods_with_cookie_affinity():
    m = manifests()
    pod_labels = m["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = m["Service"]["spec"]
    assert service["selector"].items() <= pod_labels.items()
    assert service.get("sessionAffinity", "None") == "None", "ClientIP affinity puts a whole school on one pod"
    assert {p["targetPort"] for p in service["ports"]} == {"http"}
    backend = m["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == m["Service"]["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["ports"]}
    notes = m["Ingress"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"] == "playground_route"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # idle websockets stay open
    assert set(m["Kustomization"]["resources"]) == {f.name for f in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_cookie_secret_comes_from_outside_and_is_never_committed():
    env = {e["name"]: e for e in container()["env"]}
    assert env[SECRET_ENV]["valueFrom"]["secretKeyRef"]["key"] and "value" not in env[SECRET_ENV]
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    for name in ("replica-a", "replica-b"):
        assert re.fullmatch(r"\$\{\w+:\?.+\}", compose["services"][name]["environment"][SECRET_ENV])
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert "cookieSecret" not in config.get("server", {})
    assert not any(SECRET_ENV in line or "cookieSecret" in line for line in dockerfile("ENV") + dockerfile("ARG"))


def test_streamlit_reads_the_cookie_secret_from_that_variable():
    """The variable the manifests set is the one Streamlit turns into server.cookieSecret."""
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True,
                           text=True, env=os.environ | {SECRET_ENV: "one-secret-for-every-replica"}).stdout
    assert 'cookieSecret = "one-secret-for-every-replica"' in shown


def test_nginx_accepts_every_upload_streamlit_accepts():
    limit_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    body = re.search(r"client_max_body_size (\d+)m;", (ROOT / "deploy" / "nginx" / "playground.conf").read_text())
    assert int(body.group(1)) > limit_mb
    assert int(manifests()["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m")) > limit_mb
