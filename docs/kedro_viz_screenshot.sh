#!/usr/bin/env bash
# A current kedro-viz screenshot of the `meta` pipeline, taken with headless Chromium, so the
# README's picture can be retaken whenever the pipelines change (it shows what `kedro viz run`
# shows: stages collapsed to one box each).
#
#   bash docs/kedro_viz_screenshot.sh [OUT.png]      # from the project root; default: the README's
#
# Needs Chromium (Debian: apt-get install chromium) and curl. Runs as root too (--no-sandbox).
set -euo pipefail
out=${1:-docs/kedro_viz_meta_lineage.png}
port=${KEDRO_VIZ_PORT:-4141}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
  echo "docs/kedro_viz_screenshot.sh needs Chromium: apt-get install chromium" >&2
  exit 1
}
log=$(mktemp)
kedro viz run --no-browser --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
viz=$!
trap 'kill "$viz" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/api/main" > /dev/null && break
  kill -0 "$viz" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,1000 \
  --virtual-time-budget=20000 --screenshot="$out" "http://127.0.0.1:$port/?pid=meta" 2> /dev/null
echo "kedro-viz screenshot of the meta pipeline written to $out"
