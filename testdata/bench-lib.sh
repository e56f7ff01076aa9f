# bench-lib.sh: what bench-detect.sh and bench-tier1.sh share. Sourced, not run.

# default_detectors SENSOR prints the binary's default --detectors list
# (replay -h exits with status 2).
default_detectors() {
	("$1" replay -h 2>&1 || true) | awk '/^  -detectors /{getline; if (match($0, /\(default "[^"]*"\)/)) print substr($0, RSTART + 10, RLENGTH - 12)}'
}

# tier1_detectors LIST prints LIST without the protocol, authentication and
# CRS detectors: tier 1 alone (libinjection and the tier-1 families).
tier1_detectors() {
	tr ',' '\n' <<<"$1" | grep -vxE 'smuggling|jwt|credentials-in-url|basic-cleartext|secrets-in-response|crs' | paste -sd, -
}
