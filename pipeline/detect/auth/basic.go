package auth

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// ruleBasic is the "basic-cleartext" detector's rule. Every exchange the
// sensor decodes as HTTP travelled in cleartext (it decrypts no TLS), so
// Basic credentials in one were readable by anyone on the path: the
// password itself, not a token that expires. Loopback traffic is reported
// too, at low severity: the credentials did not leave the host, but they
// were readable by anything capturing there, and a proxy on the host often
// forwards them on.
var ruleBasic = detect.Rule{ID: "basic-auth-cleartext", Category: catAuth, OWASP: owaspAuth,
	Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_HIGH}

type basicCheck struct {
	cfg detect.Config
}

func (c *basicCheck) inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	f := findings{cfg: &c.cfg, detector: "basic-cleartext", x: x}
	for _, h := range x.Request.Headers {
		name := lowerASCII(h.Name)
		if name != "authorization" && name != "proxy-authorization" {
			continue
		}
		v := strings.TrimLeft(h.Value, " \t")
		if len(v) < 6 || !strings.EqualFold(v[:6], "basic ") {
			continue
		}
		user, passLen, ok := basicUser(strings.TrimSpace(v[6:]))
		if ok && user == "" && passLen == 0 {
			continue // "Basic Og==": nothing to expose
		}
		value, who := "undecodable credentials", "undecodable"
		if ok {
			shown := user
			if secretLike(user) && passLen == 0 {
				// An API key sent as the user name (Stripe-style).
				shown = mask(user, 4)
			}
			value = "user " + shown + ", password " + alert.Redacted + " (" + strconv.Itoa(passLen) + " bytes)"
			who = shown
		}
		a := f.add(&ruleBasic, "Basic credentials for "+who+" sent in cleartext over "+transport(x), "header", name, alert.Snippet(value, 200), "Basic over "+transport(x))
		if loopback(x) {
			a.Severity = alert.Severity_SEVERITY_LOW
		}
	}
	return f.done(out)
}

// basicUser decodes Basic credentials (base64 of user:password, padding
// optional) and returns the user and the password's length.
func basicUser(b64 string) (user string, passLen int, ok bool) {
	if len(b64) > 4096 {
		return "", 0, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "=")); err != nil {
			return "", 0, false
		}
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", 0, false
	}
	return u, len(p), true
}

// secretLike reports whether a Basic user name is really a key.
func secretLike(user string) bool {
	return keyPattern(user) != "" || credentialLike(user)
}

// transport names how the exchange travelled: HTTP/1 or h2c.
func transport(x *decoders.Exchange) string {
	switch {
	case strings.HasPrefix(x.Proto, "http/2"), x.Proto == "h2c":
		return "h2c (cleartext HTTP/2)"
	case x.Request != nil && x.Request.Version != "":
		return "cleartext " + x.Request.Version
	}
	return "cleartext HTTP"
}

// loopback reports whether the exchange stayed on one host.
func loopback(x *decoders.Exchange) bool {
	m := x.Conn
	return m != nil && m.Key.SrcIP.IsLoopback() && m.Key.DstIP.IsLoopback()
}
