package detect

import (
	"cmp"
	"strings"
)

// Authority returns the authority of an absolute-form request target
// (http:// or https://, in any case): what lies between the scheme and the
// path, query or fragment, its user info included, and the scheme's
// default port. ok is false for any other target.
func Authority(uri string) (auth, defPort string, ok bool) {
	switch {
	case len(uri) >= 7 && strings.EqualFold(uri[:7], "http://"):
		auth, defPort = uri[7:], "80"
	case len(uri) >= 8 && strings.EqualFold(uri[:8], "https://"):
		auth, defPort = uri[8:], "443"
	default:
		return "", "", false
	}
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	return auth, defPort, true
}

// StripUserInfo returns authority a without its user info (up to the last
// '@', as servers split it).
func StripUserInfo(a string) string {
	return a[strings.LastIndexByte(a, '@')+1:]
}

// SplitHostPort splits host[:port] (an IPv6 literal keeps its brackets)
// into its host, lower-cased and without a trailing dot, and its port.
func SplitHostPort(s string) (host, port string) {
	s = strings.ToLower(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "]") {
		s, port = s[:i], s[i+1:]
	}
	return strings.TrimSuffix(s, "."), port
}

// SameHostPort reports whether authorities a and b (Host values, spaces
// around them ignored) name the same host and port, a port left out
// being defPort.
func SameHostPort(a, b, defPort string) bool {
	ah, ap := SplitHostPort(strings.TrimSpace(a))
	bh, bp := SplitHostPort(strings.TrimSpace(b))
	return ah == bh && cmp.Or(ap, defPort) == cmp.Or(bp, defPort)
}
