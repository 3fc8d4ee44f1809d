"""requirements.txt: Community Cloud (Linux x86_64, Python 3.12) takes PyTorch's CPU wheel by URL; every other
install, this machine and CI included, takes the plain `torch==2.13.0` pin, and no install sees both."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
CLOUD_PYTHON = "3.12"  # the version docs/deploy.md tells to pick in Community Cloud's deploy dialog


def requirements() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def torch_lines() -> list[Requirement]:
    return [r for r in requirements() if canonicalize_name(r.name) == "torch"]


def environment(system: str, machine: str, python: str) -> dict[str, str]:
    """A marker environment for another machine: this one's, with the platform and Python replaced."""
    return default_environment() | {"sys_platform": system, "platform_machine": machine,
                                     "python_version": python, "python_full_version": f"{python}.0"}


def applying(env: dict[str, str]) -> list[Requirement]:
    return [r for r in torch_lines() if r.marker is None or r.marker.evaluate(env)]


def cpu_wheel() -> Requirement:
    return next(r for r in torch_lines() if r.url)


def test_every_line_parses_and_everything_but_torch_is_pinned_once():
    reqs = requirements()
    others = [r for r in reqs if canonicalize_name(r.name) != "torch"]
    assert all(not r.url and not r.marker and len(r.specifier) == 1 and next(iter(r.specifier)).operator == "=="
               for r in others), others
    assert len({canonicalize_name(r.name) for r in others}) == len(others)
    assert len(torch_lines()) == 2


@pytest.mark.parametrize("system, machine, python, url", [
    ("linux", "x86_64", CLOUD_PYTHON, True),  # Community Cloud with 3.12 chosen; the Docker image
    ("linux", "x86_64", "3.11", False),  # this machine and CI
    ("linux", "x86_64", "3.13", False),
    ("linux", "aarch64", CLOUD_PYTHON, False),
    ("darwin", "arm64", CLOUD_PYTHON, False),
    ("win32", "AMD64", CLOUD_PYTHON, False),
])
def test_exactly_one_torch_requirement_applies_on_each_platform(system, machine, python, url):
    chosen = applying(environment(system, machine, python))
    assert len(chosen) == 1, f"{system}/{machine}/Python {python}: {[str(r) for r in chosen]}"
    assert bool(chosen[0].url) == url
    if not url:
        assert str(chosen[0].specifier) == "==2.13.0"


def test_the_cpu_wheel_url_names_the_pinned_torch_for_the_marked_platform():
    req = cpu_wheel()
    url = urlparse(req.url)
    assert (url.scheme, url.netloc) == ("https", "download.pytorch.org") and url.path.startswith("/whl/cpu/")
    assert "%2B" in url.path, "the + of the local version is percent-encoded in the index's file names"
    name, version, _build, tags = parse_wheel_filename(unquote(url.path.rsplit("/", 1)[1]))
    pinned = next(r for r in torch_lines() if not r.url)
    assert name == "torch" and version.local == "cpu" and pinned.specifier.contains(version.public)
    # The wheel's tags and the marker describe the same platform: CPython 3.12 on Linux x86_64
    py = "cp" + CLOUD_PYTHON.replace(".", "")
    assert {(t.interpreter, t.abi) for t in tags} == {(py, py)}
    assert all(re.fullmatch(r"manylinux_\d+_\d+_x86_64", t.platform) for t in tags)
    markers = str(req.marker)
    assert all(f'{key} == "{value}"' in markers for key, value in
               [("sys_platform", "linux"), ("platform_machine", "x86_64"), ("python_version", CLOUD_PYTHON)])


def test_this_machine_skips_the_url_line():
    assert not cpu_wheel().marker.evaluate()
    assert [r.url for r in applying(default_environment())] == [None]


def test_pip_ignores_the_url_line_here_and_picks_the_pinned_torch(tmp_path):
    """pip's own dry run of the two torch lines, as `pip install -r requirements.txt` reads them here."""
    req_file = tmp_path / "torch.txt"
    req_file.write_text("\n".join(str(r) for r in torch_lines()) + "\n")
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                          "--quiet", "--report", str(report), "-r", str(req_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    installs = json.loads(report.read_text())["install"]
    assert [(i["metadata"]["name"], i["metadata"]["version"].split("+")[0]) for i in installs] == [("torch", "2.13.0")]
    assert "download.pytorch.org" not in installs[0]["download_info"]["url"]
