#!/usr/bin/env bash
# Lighthouse (mobile preset: simulated slow 4G and a 4x slower CPU) on the built page, served
# compressed the way a static host serves it (bench/static-host.mjs), in Debian's Chromium.
#   bench/lighthouse.sh [runs]    (after `trunk build`; default 3 runs, the median is reported)
# Installs the pinned lighthouse into target/lighthouse once (npm; not part of the test set-up).
# Writes target/bench/lighthouse-N.json and prints each run's scores and the median.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
LIGHTHOUSE_VERSION=12.8.2
tool=target/lighthouse/node_modules/.bin/lighthouse
if [ ! -x "$tool" ]; then
  mkdir -p target/lighthouse
  npm install --silent --no-audit --no-fund --prefix target/lighthouse "lighthouse@$LIGHTHOUSE_VERSION"
fi
[ -f dist/index.html ] || { echo "no dist/: run trunk build first" >&2; exit 1; }
mkdir -p target/bench
port=8091
node bench/static-host.mjs "$port" > target/bench/static-host.log 2>&1 &
host=$!
trap 'kill $host 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.2; done
for r in $(seq "$RUNS"); do
  CHROME_PATH=${CHROMIUM:-/usr/bin/chromium} timeout 300 "$tool" "http://127.0.0.1:$port/" \
    --quiet --output=json --output-path="target/bench/lighthouse-$r.json" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-features=WebGPU"
done
node -e '
const fs = require("fs");
const runs = [...Array(Number(process.argv[1])).keys()].map((i) => JSON.parse(fs.readFileSync(`target/bench/lighthouse-${i + 1}.json`, "utf8")));
const row = (r) => ({
  performance: r.categories.performance.score, accessibility: r.categories.accessibility.score,
  best_practices: r.categories["best-practices"].score,
  fcp_ms: r.audits["first-contentful-paint"].numericValue, lcp_ms: r.audits["largest-contentful-paint"].numericValue,
  tbt_ms: r.audits["total-blocking-time"].numericValue, si_ms: r.audits["speed-index"].numericValue,
  cls: r.audits["cumulative-layout-shift"].numericValue, tti_ms: r.audits.interactive.numericValue,
  bytes: r.audits["total-byte-weight"].numericValue,
});
const rows = runs.map(row);
rows.forEach((x, i) => console.log(`run ${i + 1}: ${JSON.stringify(x)}`));
const median = (k) => { const s = rows.map((x) => x[k]).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log("median: " + JSON.stringify(Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(k)]))));
console.log(`lighthouse ${runs[0].lighthouseVersion}, ${runs[0].environment.hostUserAgent}`);
' "$RUNS"
