package consume

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/apisensor/sensor/pipeline/alert"
)

// ErrSeverity is returned by ParseSeverity for an unknown name.
var ErrSeverity = errors.New("unknown severity (want info, low, medium, high or critical)")

// ParseSeverity reads a severity by name, case-insensitive, with or
// without the SEVERITY_ prefix: "high", "SEVERITY_HIGH".
func ParseSeverity(s string) (alert.Severity, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(name, "SEVERITY_") {
		name = "SEVERITY_" + name
	}
	v, ok := alert.Severity_value[name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("%q: %w", s, ErrSeverity)
	}
	return alert.Severity(v), nil
}

// Filter selects records. A zero Filter selects everything; each set field
// narrows the selection.
//
// An event matches the alert filters through its verdicts: its severity is
// its highest verdict's. Run reports carry no severity, detector or client,
// so any of those filters excludes them; their time is the Kafka timestamp.
type Filter struct {
	// MinSeverity keeps records at least this severe.
	MinSeverity alert.Severity
	// Detectors keeps records raised by one of these: a detector name
	// ("injection") or a detector and rule ("injection/sqli").
	Detectors []string
	// Clients keeps records whose client IP is in one of these prefixes (a
	// single address is a /32 or /128).
	Clients []netip.Prefix
	// Since and Until keep records whose event time (packet time) is in
	// [Since, Until); a zero bound is open.
	Since, Until time.Time
}

// ParseClients reads comma-separated IP addresses and CIDR prefixes.
func ParseClients(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("client %q: not an IP address or prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Match reports whether f selects r.
func (f *Filter) Match(r *Record) bool {
	switch {
	case r.Alert != nil:
		a := r.Alert
		return a.GetSeverity() >= f.MinSeverity &&
			f.detector(a.GetDetector(), a.GetRuleId()) &&
			f.client(a.GetClient().GetIp()) &&
			f.time(a.GetTimestamp().AsTime(), a.GetTimestamp() != nil)
	case r.Event != nil:
		e := r.Event
		var sev alert.Severity
		det := len(f.Detectors) == 0
		for _, v := range e.GetVerdicts() {
			sev = max(sev, v.GetSeverity())
			det = det || f.detector(v.GetDetector(), v.GetRuleId())
		}
		return sev >= f.MinSeverity && det &&
			f.client(e.GetClient().GetIp()) &&
			f.time(e.GetTimestamp().AsTime(), e.GetTimestamp() != nil)
	case r.Stats != nil:
		return f.MinSeverity == 0 && len(f.Detectors) == 0 && len(f.Clients) == 0 &&
			f.time(r.Time, !r.Time.IsZero())
	}
	return false
}

func (f *Filter) detector(det, rule string) bool {
	if len(f.Detectors) == 0 {
		return true
	}
	for _, d := range f.Detectors {
		name, r, hasRule := strings.Cut(d, "/")
		if name == det && (!hasRule || r == rule) {
			return true
		}
	}
	return false
}

func (f *Filter) client(ip string) bool {
	if len(f.Clients) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range f.Clients {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// time checks t against the bounds; a record without a time passes only
// when no bound is set.
func (f *Filter) time(t time.Time, ok bool) bool {
	if f.Since.IsZero() && f.Until.IsZero() {
		return true
	}
	if !ok {
		return false
	}
	return (f.Since.IsZero() || !t.Before(f.Since)) && (f.Until.IsZero() || t.Before(f.Until))
}
