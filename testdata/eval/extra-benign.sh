#!/usr/bin/env bash
# A second opinion on false positives, from text the detectors were not tuned on:
#   prose    Go standard library doc comments and /usr/share/doc READMEs (English
#            prose quoting code, shell commands, SQL, paths and URLs), 60,000 lines
#   fortunes the Debian fortunes packages, one quotation per line (apostrophes,
#            quotation marks, "-- Author" attributions), about 13,000 lines
#   iso-codes every name of Debian's ISO code tables (countries, subdivisions,
#            languages, currencies, scripts: names with apostrophes, hyphens,
#            parentheses and commas, as API payloads carry them), about 29,500 lines
# Each line is sent, in process (no traffic), as the value of every placement of the
# evaluation through the tier-1 detectors and injection (pipeline/detect/tier1
# TestEvalCorpus with TIER1_EVAL_BENIGN); the rates print as FP-extra/<placement>, the
# flagged lines as "FP <placement> extra …" in $OUT/<set>.txt.
#
#   bash testdata/eval/extra-benign.sh           # needs the fortunes and iso-codes packages (apt-get)
#   PLACEMENTS=query,json bash testdata/eval/extra-benign.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/sensor-eval-extra}
PLACEMENTS=${PLACEMENTS:-query,path,json,form,multipart,xml,header,cookie,graphql,protobuf}
mkdir -p "$OUT"

# Lines are deduplicated and cut to 12–300 characters (a parameter value, not a page);
# the order is fixed (sort) so two runs see the same lines. head ends the pipes early:
# no pipefail here.
goroot=$(go env GOROOT)
set +o pipefail
{
	find "$goroot/src" -name '*.go' -not -path '*testdata*' | sort | head -3000 |
		xargs grep -h '^\s*// ' | sed 's#^\s*// ##'
	find /usr/share/doc \( -name '*.md' -o -name 'README*' -o -name '*.txt' \) -not -name '*.gz' |
		sort | head -500 | xargs cat 2>/dev/null || true
} | awk 'length($0) >= 12 && length($0) <= 300' | sort -u | head -60000 >"$OUT/prose.lines"

if [ -d /usr/share/games/fortunes ]; then
	# One fortune per line: records end at a line holding "%".
	for f in /usr/share/games/fortunes/*; do
		case $f in *.dat | *.u8 | */art | */ascii-art) continue ;; esac
		[ -f "$f" ] && awk 'BEGIN{RS="\n%\n"} {gsub(/[ \t]*\n[ \t]*/, " "); sub(/^[ \t]+/, ""); if (length($0) >= 8 && length($0) <= 400) print}' "$f"
	done | LC_ALL=C sort -u >"$OUT/fortunes.lines"
else
	echo "extra-benign: /usr/share/games/fortunes missing (apt-get install fortunes fortunes-min): skipping that set" >&2
	: >"$OUT/fortunes.lines"
fi

if [ -d /usr/share/iso-codes/json ] && command -v python3 >/dev/null; then
	# Every string of the ISO code tables (countries and their subdivisions,
	# languages, currencies, scripts, and their official and common names):
	# the names API payloads carry ("Côte d'Ivoire", "Provence-Alpes-Côte-d'Azur").
	python3 - /usr/share/iso-codes/json/iso_*.json <<'PY' | LC_ALL=C sort -u >"$OUT/iso-codes.lines"
import json, sys
def walk(o):
    if isinstance(o, dict):
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
    elif isinstance(o, str) and len(o) >= 3:
        print(o.replace("\n", " "))
for f in sys.argv[1:]:
    with open(f, encoding="utf-8") as fh:
        walk(json.load(fh))
PY
else
	echo "extra-benign: /usr/share/iso-codes/json or python3 missing (apt-get install iso-codes python3): skipping that set" >&2
	: >"$OUT/iso-codes.lines"
fi
set -o pipefail

for set in prose fortunes iso-codes; do
	[ -s "$OUT/$set.lines" ] || continue
	TIER1_EVAL="$OUT/$set.txt" TIER1_EVAL_BENIGN="$OUT/$set.lines" TIER1_EVAL_PLACEMENTS="$PLACEMENTS" \
		go test -count=1 -run TestEvalCorpus ./pipeline/detect/tier1 >/dev/null
	echo "== $set ($(wc -l <"$OUT/$set.lines") lines)"
	grep '^FP-extra/' "$OUT/$set.txt"
done
