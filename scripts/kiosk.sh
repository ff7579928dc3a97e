#!/usr/bin/env bash
# The meeting-room wall: start the dashboard (unless it already runs) and a full-screen chromium
# on it in wall mode. Nothing leaves the machine: the app loads no external asset and chromium's
# own background traffic (updates, sync, safe browsing lists) is switched off.
#
#   scripts/kiosk.sh                         # the whole city, rotating agenda
#   scripts/kiosk.sh 'district=牧野区'        # any dashboard URL parameters (week, month, district, type, page)
#
# Environment: ANTIFRAUD_PORT (8501), ANTIFRAUD_DB (database file), ANTIFRAUD_SCALE (device scale
# factor; by default the screen size / 1920×1080, so a 3840×2160 panel or a spliced wall shows the
# 1920×1080 layout with every pixel doubled), ANTIFRAUD_WALL_HOST (use a dashboard on another machine
# instead of starting one here, e.g. http://10.0.0.5:8501), ANTIFRAUD_KIOSK_DRY=1 (print the browser
# command instead of running it).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${ANTIFRAUD_PORT:-8501}"
BASE="${ANTIFRAUD_WALL_HOST:-http://127.0.0.1:$PORT}"
URL="$BASE/?wall=1${1:+&$1}"
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
BROWSER="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$BROWSER" ] || { echo "kiosk: chromium is not installed (apt-get install chromium fonts-noto-cjk)" >&2; exit 2; }

healthy() {
  "$PY" - "$1" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_stcore/health", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

if [ -z "${ANTIFRAUD_WALL_HOST:-}" ] && ! healthy "$BASE"; then
  mkdir -p data
  nohup "$PY" -m streamlit run dashboard.py --server.port "$PORT" --server.address 127.0.0.1 \
    --server.headless true >>data/wall-server.log 2>&1 &
fi
for _ in $(seq 1 240); do healthy "$BASE" && break; sleep 0.5; done
healthy "$BASE" || { echo "kiosk: the dashboard did not start; see data/wall-server.log" >&2; exit 1; }

SCALE="${ANTIFRAUD_SCALE:-}"
if [ -z "$SCALE" ] && command -v xrandr >/dev/null 2>&1 && [ -n "${DISPLAY:-}" ]; then
  # "Screen 0: minimum 8 x 8, current 3840 x 2160, maximum ..." — the whole (possibly spliced) screen
  SCALE="$(xrandr --current 2>/dev/null | awk '/current/ {
      w = $8; h = $10; sub(/,/, "", h); s = w / 1920; if (h / 1080 < s) s = h / 1080;
      if (s < 1) s = 1; printf "%.3g", s; exit }')"
fi
SCALE="${SCALE:-1}"

PROFILE="${XDG_CONFIG_HOME:-$HOME/.config}/antifraud-wall"   # its own profile: no restore bubble, no sync
RUN=exec; [ -z "${ANTIFRAUD_KIOSK_DRY:-}" ] || RUN=echo   # ANTIFRAUD_KIOSK_DRY=1: print the command only
$RUN "$BROWSER" --kiosk --app="$URL" --user-data-dir="$PROFILE" \
  --force-device-scale-factor="$SCALE" \
  --no-first-run --noerrdialogs --disable-infobars --disable-session-crashed-bubble \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-translate --disable-features=Translate,MediaRouter --check-for-update-interval=31536000 \
  --password-store=basic --overscroll-history-navigation=0 --autoplay-policy=no-user-gesture-required
