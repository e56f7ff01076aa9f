#!/usr/bin/env bash
# A second opinion on detection, from attack tools nobody tuned the detectors on:
#   sqlmap  every payload of its data/xml/payloads, in the boundaries (prefixes and
#           suffixes) it is compatible with, as is and through one of 12 tamper scripts
#           (evasions), about 3,300 values (evalkit.LoadSqlmap)
#   wfuzz   its injection word lists: XSS, SQL (fuzzing probes: a lone quote, "--"),
#           traversal, XML, and the Unix and Windows traversal lists, about 1,300 values
#   wapiti  its attack payload files: command execution, blind SQL, XSS, XXE, file
#           handling (traversal, inclusion), about 370 values
# The tools' data come from their Debian packages (apt-get download, unpacked here: no
# install, no root). Each value is sent, in process (no traffic), as the value of every
# placement through the tier-1 detectors and injection (pipeline/detect/tier1
# TestEvalCorpus with TIER1_EVAL_CORPUS). Rates print per source ("sqlmap:time:between"
# is time-based blind through the between tamper); misses are listed in $OUT/tools.txt.
#
#   bash testdata/eval/extra-attacks.sh
#   PLACEMENTS=query,json bash testdata/eval/extra-attacks.sh
#   TRAFFIC=1 bash testdata/eval/extra-attacks.sh   # also as real traffic: run.sh with this
#                                                   # corpus (root, tcpdump), results in $OUT/traffic
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/sensor-eval-tools}
PLACEMENTS=${PLACEMENTS:-query,path,json,form,multipart,xml,header,cookie,graphql,protobuf}
mkdir -p "$OUT/deb" "$OUT/root"
chmod a+rwx "$OUT/deb" # apt-get download runs as _apt when it can
repo=$PWD

wapiti_dir=$OUT/root/usr/lib/python3/dist-packages/wapitiCore/data/attacks
if [ ! -d "$OUT/root/usr/share/sqlmap" ] || [ ! -d "$OUT/root/usr/share/wfuzz" ] || [ ! -d "$wapiti_dir" ]; then
	(cd "$OUT/deb" && apt-get download sqlmap wfuzz wapiti >/dev/null 2>&1) || {
		echo "extra-attacks: apt-get download sqlmap wfuzz wapiti failed (apt-get update first?)" >&2
		exit 1
	}
	for d in "$OUT"/deb/*.deb; do dpkg-deb -x "$d" "$OUT/root"; done
fi

go run ./testdata/eval/toolcorpus -sqlmap "$OUT/root/usr/share/sqlmap/data/xml" \
	-wfuzz "$OUT/root/usr/share/wfuzz/wordlist" -wapiti "$wapiti_dir" -out "$OUT/tools.jsonl"
TIER1_EVAL="$OUT/tools.txt" TIER1_EVAL_CORPUS="$OUT/tools.jsonl" TIER1_EVAL_PLACEMENTS="$PLACEMENTS" \
	go test -count=1 -run TestEvalCorpus "$repo/pipeline/detect/tier1" >/dev/null

# Per class, then per source, summed over placements.
grep -E '^[a-z]+/all ' "$OUT/tools.txt"
awk '/^source\// {
	split($1, k, "/"); n = split(k[2], f, ":")
	g = f[1] == "sqlmap" ? "sqlmap, tamper " f[3] : k[2]
	t = $NF; gsub(/[()]/, "", t); split(t, hv, "/")
	hit[g] += hv[1]; tot[g] += hv[2]
	if (f[1] == "sqlmap") { hit["sqlmap, all"] += hv[1]; tot["sqlmap, all"] += hv[2] }
} END { for (g in tot) printf "%-32s %6.1f%% (%d/%d)\n", g, 100 * hit[g] / tot[g], hit[g], tot[g] }' \
	"$OUT/tools.txt" | sort

if [ "${TRAFFIC:-0}" = 1 ]; then
	CORPUS="$OUT/tools.jsonl" EVAL_OUT="$OUT/traffic" bash testdata/eval/run.sh >/dev/null
	sed -n '/Targets per placement/,/Placement × protocol/p' "$OUT/traffic/results.md" | grep '^|'
	echo "(real traffic: $OUT/traffic/results.md)"
fi
