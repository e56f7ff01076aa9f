// Package auth holds the detectors of authentication weaknesses that one
// exchange shows on its own: JSON Web Tokens that are unsigned, forgeable,
// expired or carry key-injection headers ("jwt"), credentials in URLs
// ("credentials-in-url"), Basic credentials sent in cleartext
// ("basic-cleartext") and secrets in responses ("secrets-in-response").
// Checks that need state across exchanges (one token from many addresses,
// an endpoint answering without its usual credentials) belong to the
// behavioural engine.
//
// Input: exchanges from the pipeline through detect.Detector, read through
// their flattened request parameters (decoders.Param), request and
// response headers and the first detect.Config.ScanBytes of the response
// body. Output: at most one alert per rule per exchange, each match as
// evidence, secrets masked before they reach the alert. The only state is
// the "jwt" detector's bounded cache of per-token verdicts, so that a token
// sent on every request is parsed and tried against the weak secrets once.
package auth

import (
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// OWASP mappings.
var (
	owaspAuth     = []string{"API2:2023", "A07:2021"}
	owaspExposure = []string{"API3:2023"}
)

// Categories.
const (
	catAuth     = "broken-authentication"
	catExposure = "sensitive-data-exposure"
)

// checker is one detector's logic: it appends its alerts for x to out.
type checker interface {
	inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert
}

// names lists the package's detectors in the order they are documented.
var names = []string{"jwt", "credentials-in-url", "basic-cleartext", "secrets-in-response"}

// Names returns the names of the package's detectors.
func Names() []string { return append([]string(nil), names...) }

func init() {
	detect.Register("jwt", func(cfg detect.Config) (detect.Detector, error) {
		return newDetector("jwt", cfg, newJWTCheck(cfg.WithDefaults(), DefaultCacheSize)), nil
	})
	detect.Register("credentials-in-url", func(cfg detect.Config) (detect.Detector, error) {
		return newDetector("credentials-in-url", cfg, &urlCheck{cfg: cfg.WithDefaults()}), nil
	})
	detect.Register("basic-cleartext", func(cfg detect.Config) (detect.Detector, error) {
		return newDetector("basic-cleartext", cfg, &basicCheck{cfg: cfg.WithDefaults()}), nil
	})
	detect.Register("secrets-in-response", func(cfg detect.Config) (detect.Detector, error) {
		return newDetector("secrets-in-response", cfg, &responseCheck{cfg: cfg.WithDefaults()}), nil
	})
}

// Detector runs one or more of the package's checks. Each registers on its
// own; detect.New merges those listed next to each other into one Detector
// (Merge), which runs them in order, so the alerts are those the separate
// detectors would raise. It is safe for concurrent use.
type Detector struct {
	name   string
	cfg    detect.Config
	checks []checker
}

func newDetector(name string, cfg detect.Config, c checker) *Detector {
	return &Detector{name: name, cfg: cfg.WithDefaults(), checks: []checker{c}}
}

// Name implements detect.Detector: the detector names joined with "+".
func (d *Detector) Name() string { return d.name }

// Merge implements detect.Merger: next joins d when it is one of this
// package's detectors with the same settings.
func (d *Detector) Merge(next detect.Detector) bool {
	n, ok := next.(*Detector)
	if !ok || !detect.SameSettings(n.cfg, d.cfg) {
		return false
	}
	d.checks = append(d.checks, n.checks...)
	d.name += "+" + n.name
	return true
}

// Inspect implements detect.Detector.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	if x.Request == nil {
		return out
	}
	for _, c := range d.checks {
		out = c.inspect(x, out)
	}
	return out
}

// Bounds of evidence fields that are not values.
const (
	maxName    = 128
	maxMatched = 256
)

// addEvidence appends one evidence entry to a. Unlike
// detect.Config.AddEvidence it keeps value as given, because the callers
// mask secrets themselves and want the mask ("eyJhbGci…") kept, where
// AddEvidence would blank every value of a secret-named parameter. It
// reports false when a is full.
func addEvidence(cfg *detect.Config, a *alert.Alert, loc, name, value, matched string) bool {
	if len(a.Evidence) >= cfg.MaxEvidence {
		return false
	}
	a.Evidence = append(a.Evidence, &alert.Evidence{
		Location: alert.Snippet(loc, maxName),
		Name:     alert.Snippet(name, maxName),
		Value:    alert.Snippet(value, cfg.SnippetBytes),
		Matched:  alert.Snippet(matched, maxMatched),
	})
	return true
}

// findings accumulates the alerts of one check on one exchange, one per
// rule, in the order the rules first matched.
type findings struct {
	cfg      *detect.Config
	detector string
	x        *decoders.Exchange
	alerts   []*alert.Alert
	rules    []*detect.Rule
	// hide lists raw URL substrings (credentials) to blank in the alerts'
	// URL, which detect.Config.NewAlert redacts for common forms only.
	hide []string
	// claimed lists the once-per-token weaknesses this exchange reports,
	// so a token seen in two places of it is reported at both.
	claimed []claim
}

type claim struct {
	v    *verdict
	bits uint32
}

// once reports whether weakness bit of token verdict v is reported on this
// exchange: it is when no exchange reported it before, or this one did.
func (f *findings) once(v *verdict, bit uint32) bool {
	for i := range f.claimed {
		if f.claimed[i].v == v {
			if f.claimed[i].bits&bit != 0 {
				return true
			}
			if v.once(bit) {
				f.claimed[i].bits |= bit
				return true
			}
			return false
		}
	}
	if v.once(bit) {
		f.claimed = append(f.claimed, claim{v, bit})
		return true
	}
	return false
}

// done returns the alerts, their URL cleaned of the substrings in hide.
func (f *findings) done(out []*alert.Alert) []*alert.Alert {
	if len(f.alerts) > 0 && len(f.hide) > 0 {
		u := f.x.Request.URI
		for _, h := range f.hide {
			if len(h) >= 3 {
				u = strings.ReplaceAll(u, h, alert.Redacted)
			}
		}
		u = alert.Snippet(alert.Redact(u), f.cfg.SnippetBytes)
		for _, a := range f.alerts {
			if a.Http != nil {
				a.Http.Url = u
			}
		}
	}
	return append(out, f.alerts...)
}

// add records one match of rule r; summary is used when it starts the
// rule's alert. It returns the alert.
func (f *findings) add(r *detect.Rule, summary, loc, name, value, matched string) *alert.Alert {
	for i, fr := range f.rules {
		if fr == r {
			addEvidence(f.cfg, f.alerts[i], loc, name, value, matched)
			return f.alerts[i]
		}
	}
	a := f.cfg.NewAlert(f.x, f.detector, r, "")
	a.Summary = alert.Snippet(summary, maxMatched)
	addEvidence(f.cfg, a, loc, name, value, matched)
	f.rules = append(f.rules, r)
	f.alerts = append(f.alerts, a)
	return a
}

// outcome says what the response shows about an attempt to pass a forged
// or invalid credential: a 2xx answer suggests it was accepted, 401 and 403
// that it was refused.
func outcome(x *decoders.Exchange) alert.Outcome {
	resp := x.Response
	switch {
	case resp == nil || resp.Status == 0:
		return alert.Outcome_OUTCOME_ATTEMPTED
	case resp.Status >= 200 && resp.Status < 300:
		return alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
	case resp.Status == 401 || resp.Status == 403:
		return alert.Outcome_OUTCOME_BLOCKED
	}
	return alert.Outcome_OUTCOME_ATTEMPTED
}

// mask shows the first keep bytes of a secret and an ellipsis; a secret
// not much longer than keep shows nothing but its length.
func mask(s string, keep int) string {
	if len(s) < 2*keep || keep <= 0 {
		return alert.Redacted + " (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return s[:keep] + "…"
}

// lowerASCII lower-cases s when it has upper case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
