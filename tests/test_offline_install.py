"""The isolated-network install: build a wheelhouse, then install from it with no index.

Runs only in CI or with ANTIFRAUD_TEST_OFFLINE=1 (it downloads about 180 MB once and
takes a minute or two). The install step runs with every pip setting of this machine
removed (no config file, no PIP_* variables), so nothing but the wheelhouse can satisfy
it — as on a police intranet.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import ROOT

downloads = pytest.mark.skipif(
    os.environ.get("CI", "").lower() in ("", "0", "false") and os.environ.get("ANTIFRAUD_TEST_OFFLINE") != "1",
    reason="downloads the wheelhouse (~180 MB): set CI=1 or ANTIFRAUD_TEST_OFFLINE=1")

NETWORK_TROUBLE = ("NewConnectionError", "Temporary failure in name resolution",
                   "Network is unreachable", "Max retries exceeded", "Connection refused")


def _bash(script: str, *args, env=None, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / script), *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


@downloads
def test_wheelhouse_installs_with_no_index(tmp_path):
    wheels, venv = tmp_path / "wheelhouse", tmp_path / "venv"
    env = dict(os.environ, PYTHON=sys.executable)
    built = _bash("wheelhouse.sh", wheels, env=env)
    if built.returncode and any(t in built.stdout + built.stderr for t in NETWORK_TROUBLE):
        pytest.skip(f"no route to the package index here: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr[-2000:]
    count = len(list(wheels.glob("*.whl")))
    size = sum(p.stat().st_size for p in wheels.iterdir())
    print(f"\n[offline] wheelhouse: {count} wheels, {size / 2**20:.0f} MiB — {built.stdout.strip().splitlines()[-1]}")
    assert not list(wheels.glob("*.tar.gz")) and not list(wheels.glob("*.zip"))   # wheels only

    # the intranet machine: no pip configuration, no extra links, no index
    isolated = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    isolated.update(PIP_CONFIG_FILE=os.devnull, VENV=str(venv), PYTHON=sys.executable,
                    PIP_NO_INDEX="1")
    installed = _bash("install-offline.sh", wheels, env=isolated)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    assert "安装完成" in installed.stdout

    python = venv / "bin" / "python"
    check = subprocess.run([str(python), "-c",
                            "import streamlit, duckdb, pandas, pydeck, plotly, antifraud.cli, queries;"
                            "print(streamlit.__version__, duckdb.__version__, pandas.__version__)"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    helped = subprocess.run([str(python), "-m", "antifraud", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "ingest" in helped.stdout
    print(f"[offline] fresh venv: streamlit/duckdb/pandas {check.stdout.strip()}")


def test_install_offline_refuses_a_missing_wheelhouse(tmp_path):
    done = _bash("install-offline.sh", tmp_path / "nowhere",
                 env=dict(os.environ, VENV=str(tmp_path / "venv")), timeout=60)
    assert done.returncode == 2
    assert "wheelhouse" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "venv").exists()
