package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// Exception is an operator's exception to detection rules, as Suricata's
// suppress entries and ModSecurity's rule exclusions are: an endpoint that
// takes SQL by design (a BI tool's query API), a field that holds shell
// commands (a CI system's job definitions), an admin tool's MongoDB
// filters. An alert whose rule it names, on an exchange it matches, loses
// the evidence in the parameters it names; an alert left without evidence
// is dropped and counted (alerts.excepted.<detector>). Without params or
// locations, every alert of the rules on the matched exchanges is dropped.
// Every list given must match (any of its entries); an empty list matches
// everything.
//
// Behavioural alerts (detector "behave": credential stuffing, enumeration,
// scanners…) are about many exchanges, not one: an exception without
// params and locations drops them too (ExceptBehaviour), its paths
// matched against the endpoint's path template (/users/{id}), its sources
// against the client the alert is about.
//
//	detect:
//	  exceptions:
//	    - rules: [sqli, sql-signature]
//	      methods: [POST]
//	      paths: ["/api/v1/reports/query", "/bi/**"]
//	      params: [sql, "filters.*.expr"]
//	      reason: Metabase runs the analysts' SQL
//	    - rules: [injection, cmdi, traversal, crs, scanner]
//	      sources: [10.20.0.0/24]
//	      reason: the weekly authenticated vulnerability scan
type Exception struct {
	// Rules are rule ids ("sqli", "cmdi", "942100" for CRS) or detector
	// names ("injection", "crs"); at least one.
	Rules []string `yaml:"rules"`
	// Methods are request methods, in any case.
	Methods []string `yaml:"methods"`
	// Hosts are the hosts requests are routed by (an absolute-form URI's,
	// else :authority or Host), without the port, exact or
	// "*.example.com" for any subdomain. The client writes them: a host
	// exception covers any server that ignores virtual hosts.
	Hosts []string `yaml:"hosts"`
	// Paths are request paths without the query: path.Match patterns
	// ("/api/v1/users/*/notes"), and a pattern ending in "/**" matches
	// everything under its prefix. A request path with a dot segment, an
	// empty segment, a backslash, a ';' or an encoded dot, slash,
	// backslash or '%' matches no pattern: servers may route it elsewhere
	// than it reads ("/bi/../admin").
	Paths []string `yaml:"paths"`
	// Params are parameter names as evidence gives them (a query key, a
	// lower-cased header name, a dotted JSON path): path.Match patterns
	// with '.' as the separator ("filters.*.expr", "items[*].note").
	Params []string `yaml:"params"`
	// Locations are parameter locations: query, path, header, cookie,
	// form, json, multipart, xml, body, protobuf, name.
	Locations []string `yaml:"locations"`
	// Sources are client addresses or prefixes ("10.20.0.0/24",
	// "2001:db8::/32", "192.0.2.7"), matched against the alert's client
	// address: the TCP peer, or the address X-Forwarded-For or Forwarded
	// gives when the peer is a trusted proxy (detect.identity). The peer
	// is what the sensor saw; a forwarded address is what the proxy
	// wrote.
	Sources []string `yaml:"sources"`
	// Reason says why, for the reader of the configuration.
	Reason string `yaml:"reason"`
}

// validate reports what cannot work in e.
func (e *Exception) validate(i int) error {
	var errs []error
	if len(e.Rules) == 0 {
		errs = append(errs, fmt.Errorf("detect: exceptions[%d]: rules is empty", i))
	}
	for _, r := range e.Rules {
		if r == "" || strings.ToLower(r) != r || strings.ContainsAny(r, " \t*") {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: bad rule %q (rule ids and detector names are lower case)", i, r))
		}
	}
	for _, p := range e.Paths {
		if _, err := path.Match(strings.TrimSuffix(p, "/**"), ""); err != nil || !strings.HasPrefix(p, "/") ||
			strings.Contains(strings.TrimSuffix(p, "/**"), "**") || p == "/**" {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: bad path pattern %q (a path.Match pattern from /, perhaps ending in /**)", i, p))
		}
	}
	for _, h := range e.Hosts {
		if !validHostPattern(h) {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: bad host %q (a host name without port, or *.domain)", i, h))
		}
	}
	for _, p := range e.Params {
		if _, err := path.Match(paramPath(p), ""); err != nil {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: bad param pattern %q", i, p))
		}
	}
	for _, l := range e.Locations {
		if !knownLocation(l) || strings.ToLower(l) != l {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: unknown location %q", i, l))
		}
	}
	for _, src := range e.Sources {
		if _, ok := parseSource(src); !ok {
			errs = append(errs, fmt.Errorf("detect: exceptions[%d]: bad source %q (an IP address or prefix: 10.0.0.0/8)", i, src))
		}
	}
	return errors.Join(errs...)
}

func knownLocation(l string) bool {
	switch decoders.Location(l) {
	case decoders.LocPath, decoders.LocQuery, decoders.LocHeader, decoders.LocCookie, decoders.LocForm, decoders.LocJSON,
		decoders.LocMultipart, decoders.LocXML, decoders.LocBody, decoders.LocProtobuf, decoders.LocName:
		return true
	}
	return false
}

// Except applies the exceptions to the alerts a detector raised on x
// (appended to out since index from), in place: it returns out without
// the alerts left with no evidence, and calls dropped for each of them.
func (c *Config) Except(x *decoders.Exchange, out []*alert.Alert, from int, dropped func(*alert.Alert)) []*alert.Alert {
	if len(c.Exceptions) == 0 || len(out) == from || x == nil || x.Request == nil && x.Response == nil {
		return out
	}
	kept := out[:from]
	for _, a := range out[from:] {
		if !c.except(x, a) {
			kept = append(kept, a)
		} else if dropped != nil {
			dropped(a)
		}
	}
	clear(out[len(kept):])
	return kept
}

// except applies the exceptions to a, and reports whether a is left with
// nothing and must go. An exception that names a's rule or detector takes
// any of its evidence in the parameters it names; one that names a rule of
// an evidence entry (CRS's "942100") takes only that rule's entries.
func (c *Config) except(x *decoders.Exchange, a *alert.Alert) bool {
	for i := range c.Exceptions {
		e := &c.Exceptions[i]
		whole := e.names(a.GetRuleId()) || e.names(a.GetDetector())
		if !whole && !e.namesEvidence(a) || !e.exchange(x) || !e.source(a.GetClient().GetIp()) {
			continue
		}
		if whole && len(e.Params) == 0 && len(e.Locations) == 0 {
			return true
		}
		ev := a.Evidence[:0]
		for _, v := range a.Evidence {
			if !(whole || e.names(v.GetRule())) || !e.param(v) {
				ev = append(ev, v)
			}
		}
		clear(a.Evidence[len(ev):])
		a.Evidence = ev
		if len(ev) == 0 {
			return true
		}
	}
	return false
}

// ExceptBehaviour applies the exceptions to behavioural alerts, in place:
// it returns alerts without those an exception drops, and calls dropped
// for each of them. An exception drops a behavioural alert when it names
// its rule or detector, has no params or locations (a behavioural alert
// has no parameter evidence to take), and its methods, hosts and paths
// match the alert's endpoint (its path template: "/users/*" covers
// /users/{id}) and its sources the client the alert is about. Alerts about
// many clients (distributed credential stuffing and per-endpoint rates,
// keyed by an endpoint; token sharing, keyed by a token) match no source:
// one of their clients in a range is no reason to drop what the others
// did.
func (c *Config) ExceptBehaviour(alerts []*alert.Alert, dropped func(*alert.Alert)) []*alert.Alert {
	if len(c.Exceptions) == 0 || len(alerts) == 0 {
		return alerts
	}
	kept := alerts[:0]
	for _, a := range alerts {
		if !c.exceptBehaviour(a) {
			kept = append(kept, a)
		} else if dropped != nil {
			dropped(a)
		}
	}
	clear(alerts[len(kept):])
	return kept
}

func (c *Config) exceptBehaviour(a *alert.Alert) bool {
	h := a.GetHttp()
	for i := range c.Exceptions {
		e := &c.Exceptions[i]
		if !e.names(a.GetRuleId()) && !e.names(a.GetDetector()) || len(e.Params) > 0 || len(e.Locations) > 0 {
			continue
		}
		if len(e.Methods) > 0 && !anyFold(e.Methods, h.GetMethod()) ||
			len(e.Hosts) > 0 && !hostIn(e.Hosts, h.GetHost()) ||
			len(e.Paths) > 0 && !pathIn(e.Paths, h.GetUrl()) {
			continue
		}
		if len(e.Sources) > 0 && !e.source(behaviourClient(a)) {
			continue
		}
		return true
	}
	return false
}

// behaviourClient returns the address of the client a behavioural alert is
// about: the address its window is keyed by, or, for a window keyed by a
// client's API key, token subject or session, the address the client's
// first request came from; "" for a window of many clients.
func behaviourClient(a *alert.Alert) string {
	k := a.GetBehavior().GetKey()
	kind, v, _ := strings.Cut(k, ":")
	switch kind {
	case "ip":
		return v
	case "key", "sub", "session":
		return a.GetClient().GetIp()
	}
	return ""
}

// source reports whether ip is in e's sources, or e has none.
func (e *Exception) source(ip string) bool {
	if len(e.Sources) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, src := range e.Sources {
		if p, ok := parseSource(src); ok && p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseSource parses an address or a prefix; an address is a prefix of
// its full length. IPv4-mapped IPv6 addresses are read as IPv4.
func parseSource(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked(), true
		}
		return p.Masked(), !p.Addr().Is4In6()
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// names reports whether r is one of e's rules.
func (e *Exception) names(r string) bool {
	if r == "" {
		return false
	}
	for _, x := range e.Rules {
		if x == r {
			return true
		}
	}
	return false
}

// namesEvidence reports whether e names the rule of one of a's evidence
// entries.
func (e *Exception) namesEvidence(a *alert.Alert) bool {
	for _, v := range a.Evidence {
		if e.names(v.GetRule()) {
			return true
		}
	}
	return false
}

func (e *Exception) exchange(x *decoders.Exchange) bool {
	m := x.Request
	if m == nil {
		// A response to no request: only an exception that names no
		// method, host or path covers it.
		return len(e.Methods) == 0 && len(e.Hosts) == 0 && len(e.Paths) == 0
	}
	if len(e.Methods) > 0 && !anyFold(e.Methods, m.Method) {
		return false
	}
	// A repeated HTTP/2 :path or :authority (kept as a header by
	// decoders/http2) makes the request's path or host two: a back end
	// may route by the other, so no pattern matches.
	if len(e.Hosts) > 0 && (hasHeader(m, ":authority") || !hostIn(e.Hosts, routedHost(m))) {
		return false
	}
	if len(e.Paths) > 0 && (hasHeader(m, ":path") || !pathIn(e.Paths, m.Path)) {
		return false
	}
	return true
}

func hasHeader(m *decoders.Message, name string) bool {
	_, ok := decoders.Get(m.Headers, name)
	return ok
}

// routedHost is the host a server routes m by: an absolute-form URI's,
// else HTTP/2's :authority, else the Host header.
func routedHost(m *decoders.Message) string {
	if auth, _, ok := Authority(m.URI); ok {
		return StripUserInfo(auth)
	}
	if m.Authority != "" {
		return m.Authority
	}
	h, _ := decoders.Get(m.Headers, "Host")
	return h
}

// param reports whether evidence v is in a parameter e names. Evidence
// of no parameter (a whole-exchange finding) is not.
func (e *Exception) param(v *alert.Evidence) bool {
	if v.GetName() == "" && v.GetLocation() == "" {
		return false
	}
	if len(e.Locations) > 0 && !anyFold(e.Locations, v.GetLocation()) {
		return false
	}
	if len(e.Params) == 0 {
		return true
	}
	name := paramPath(v.GetName())
	for _, p := range e.Params {
		if ok, _ := path.Match(paramPath(p), name); ok {
			return true
		}
	}
	return false
}

// paramPath writes a dotted parameter name, its array indexes as elements
// ("items[0].note" is items.0.note), with slashes, for path.Match: '*'
// then stands for one element.
func paramPath(name string) string {
	name = strings.NewReplacer("[", ".", "]", "").Replace(name)
	return strings.TrimPrefix(strings.ReplaceAll(name, ".", "/"), "/")
}

func anyFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// hostIn reports whether host (its port dropped) is one of hosts, exact or
// under a "*." pattern. A host that is no host name (empty, with spaces or
// other bytes a name has not) matches none.
func hostIn(hosts []string, host string) bool {
	host, _ = SplitHostPort(host)
	if !hostName(host) {
		return false
	}
	for _, h := range hosts {
		h = strings.ToLower(h)
		if h == host || strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1 && host[len(host)-len(h)] != '.' {
			return true
		}
	}
	return false
}

// hostName reports a DNS name or an IP address literal: letters, digits,
// dots, dashes, and for IPv6 brackets and colons; no empty label.
func hostName(h string) bool {
	if h == "" || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '[' || c == ']' || c == ':') {
			return false
		}
	}
	return true
}

// validHostPattern reports a host name, or "*." and one.
func validHostPattern(h string) bool {
	h = strings.ToLower(strings.TrimPrefix(h, "*."))
	return hostName(h) && !strings.Contains(h, ":") || strings.HasPrefix(h, "[") && hostName(h)
}

// pathIn reports whether p matches one of the patterns. A path that a
// server may read otherwise than as written (dot segments, encoded dots,
// slashes or backslashes, path parameters, empty segments) matches none:
// "/bi/**" must not cover "/bi/../admin".
func pathIn(patterns []string, p string) bool {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if ambiguousPath(p) {
		return false
	}
	for _, pat := range patterns {
		if prefix, ok := strings.CutSuffix(pat, "/**"); ok {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				return true
			}
			continue
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// ambiguousPath reports a path with a dot segment, an empty segment, a
// backslash, a ';', or a percent-encoded dot, slash, backslash or percent
// (also as %u or overlong UTF-8).
func ambiguousPath(p string) bool {
	if strings.ContainsAny(p, "\\;") || strings.Contains(p, "//") {
		return true
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	l := strings.ToLower(p)
	// IIS's %u escapes and overlong UTF-8 (%c0%ae) spell dots and
	// slashes too.
	for _, enc := range [...]string{"%2e", "%2f", "%5c", "%25", "%u", "%c0", "%c1", "%e0"} {
		if strings.Contains(l, enc) {
			return true
		}
	}
	return false
}
