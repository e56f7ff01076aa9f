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

# need_tools TOOL... installs, with apt-get, the Debian packages of the tools
# a bench script needs and the machine lacks (a fresh machine runs make bench
# as root); go has no package here and must be on PATH.
need_tools() {
	local tool pkgs=()
	for tool in "$@"; do
		command -v "$tool" >/dev/null && continue
		case $tool in
		go) echo "bench: go is not on PATH" >&2; return 1 ;;
		h2load) pkgs+=(nghttp2-client) ;;
		capinfos) pkgs+=(wireshark-common) ;;
		ip) pkgs+=(iproute2) ;;
		timeout) pkgs+=(coreutils) ;;
		*) pkgs+=("$tool") ;; # hey, tcpdump, curl, ethtool: the package is the tool's name
		esac
	done
	(( ${#pkgs[@]} )) || return 0
	echo "bench: installing ${pkgs[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; }
}
