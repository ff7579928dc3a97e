#!/usr/bin/env bash
# Install the dashboard on a machine with no internet, from a wheelhouse built by
# scripts/wheelhouse.sh on a connected machine of the same OS and Python version.
#
#   scripts/install-offline.sh [WHEELHOUSE]          # default: wheelhouse/
#   VENV=/opt/antifraud/.venv scripts/install-offline.sh /media/usb/wheelhouse
#
# pip never reaches for a network here (--no-index): every package must be in WHEELHOUSE.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="${1:-wheelhouse}"
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"
REQ="${REQUIREMENTS:-requirements.txt}"

if [ ! -d "$WHEELS" ] || ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  echo "错误：找不到 wheelhouse（$WHEELS 中没有 .whl 文件），请先在联网机器上运行 scripts/wheelhouse.sh 并拷贝过来" >&2
  exit 2
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-index --find-links "$WHEELS" -r "$REQ"
"$VENV/bin/python" -c "import streamlit, duckdb, pandas, pyarrow, pydeck, plotly, scipy, xlsxwriter, python_calamine"
echo "安装完成。启动看板：$VENV/bin/streamlit run dashboard.py"
