package identity

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// maxOutcomeBody bounds the response body read for an error marker.
const maxOutcomeBody = 4 << 10

// gRPC status codes that say a login failed.
const (
	grpcOK               = 0
	grpcInvalidArgument  = 3
	grpcNotFound         = 5
	grpcPermissionDenied = 7
	grpcUnauthenticated  = 16
)

// IsLogin tells whether x is a login attempt: a POST to a configured login
// path, or a gRPC method named like Login, SignIn or Authenticate.
func (id *Identifier) IsLogin(x *decoders.Exchange) bool {
	req := x.Request
	if req == nil {
		return false
	}
	if g := x.GRPC; g != nil {
		m := strings.ToLower(g.Method)
		return strings.Contains(m, "login") || strings.Contains(m, "signin") || strings.Contains(m, "logon") || strings.Contains(m, "authenticate")
	}
	if !strings.EqualFold(req.Method, "POST") {
		return false
	}
	path := req.Path
	if path == "" {
		path, _, _ = strings.Cut(req.URI, "?")
	}
	return id.loginPath(path)
}

// Login returns the login facts of x, or nil when x is not a login
// attempt. The username and password come from the request fields named
// in the configuration (the last part of a dotted JSON path counts), or
// from Basic credentials; the outcome from the response.
func (id *Identifier) Login(x *decoders.Exchange) *alert.Login {
	if !id.IsLogin(x) {
		return nil
	}
	var user, pass string
	for i := range x.Params {
		p := &x.Params[i]
		switch p.Loc {
		case decoders.LocJSON, decoders.LocForm, decoders.LocMultipart, decoders.LocProtobuf, decoders.LocXML, decoders.LocQuery:
		default:
			continue
		}
		name := lastPart(p.Name)
		switch {
		case user == "" && nameIn(name, id.usernames):
			user = p.Best()
		case pass == "" && nameIn(name, id.passwords):
			pass = p.Best()
		}
	}
	if user == "" && pass == "" {
		user, pass = basicCredentials(x.Request)
	}
	l := &alert.Login{Outcome: outcome(x, id)}
	if user != "" {
		l.Username = id.Hash(KindUsername, strings.ToLower(strings.TrimSpace(user)))
	}
	if pass != "" {
		l.Password = id.ShortHash(KindPassword, pass)
	}
	return l
}

// lastPart is the last element of a dotted field path ("user.email" →
// "email", "creds[0].password" → "password"; "a/b" for XML → "b").
func lastPart(name string) string {
	if i := strings.LastIndexAny(name, "./"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	return name
}

// basicCredentials decodes the Authorization: Basic header.
func basicCredentials(req *decoders.Message) (user, pass string) {
	v, ok := decoders.Get(req.Headers, "authorization")
	if !ok {
		return "", ""
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, "basic") {
		return "", ""
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", ""
	}
	user, pass, _ = strings.Cut(string(b), ":")
	return user, pass
}

// outcome reads the response of a login attempt.
func outcome(x *decoders.Exchange, id *Identifier) alert.LoginOutcome {
	const (
		none    = alert.LoginOutcome_LOGIN_OUTCOME_UNSPECIFIED
		success = alert.LoginOutcome_LOGIN_OUTCOME_SUCCESS
		failure = alert.LoginOutcome_LOGIN_OUTCOME_FAILURE
	)
	if g := x.GRPC; g != nil && g.Status >= 0 {
		switch g.Status {
		case grpcOK:
			return success
		case grpcUnauthenticated, grpcPermissionDenied, grpcNotFound, grpcInvalidArgument:
			return failure
		}
		return none
	}
	resp := x.Response
	if resp == nil || resp.Status == 0 {
		return none
	}
	switch s := resp.Status; {
	case s == 401 || s == 403:
		return failure
	case s >= 200 && s < 300:
		if errorMarker(resp) {
			return failure
		}
		return success
	case s >= 300 && s < 400:
		loc, _ := decoders.Get(resp.Headers, "location")
		if loc == "" {
			return none
		}
		if id.redirectFails(loc) {
			return failure
		}
		return success
	case s == 400 || s == 404 || s == 422:
		// OAuth answers bad credentials with 400 invalid_grant; many
		// APIs with 400/422 and an error body.
		if errorMarker(resp) {
			return failure
		}
	}
	return none
}

// redirectFails tells whether a redirect after a login attempt goes back to
// a login page or names an error.
func (id *Identifier) redirectFails(loc string) bool {
	if i := strings.Index(loc, "://"); i >= 0 {
		loc = loc[i+3:]
		if j := strings.IndexByte(loc, '/'); j >= 0 {
			loc = loc[j:]
		} else {
			loc = "/"
		}
	}
	path, query, _ := strings.Cut(loc, "?")
	q := strings.ToLower(query)
	if strings.Contains(q, "error") || strings.Contains(q, "fail") || strings.Contains(q, "invalid") {
		return true
	}
	return id.loginPath(path)
}

// errorMarker tells whether a small JSON response body says the request
// failed: a top-level "error", "errors", "error_description" or "errorCode"
// that is not empty, or "success"/"ok"/"authenticated" false, or "status"
// "error"/"fail"/"failed".
func errorMarker(m *decoders.Message) bool {
	b := bytes.TrimSpace(m.Body)
	if len(b) == 0 || len(b) > maxOutcomeBody || b[0] != '{' {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return false
	}
	for k, v := range top {
		switch strings.ToLower(k) {
		case "error", "errors", "error_description", "errorcode", "error_code", "errormessage", "error_message":
			switch string(v) {
			case "null", "false", `""`, "[]", "{}", "0":
			default:
				return true
			}
		case "success", "ok", "authenticated", "valid":
			if string(v) == "false" {
				return true
			}
		case "status", "result":
			var s string
			if json.Unmarshal(v, &s) == nil {
				switch strings.ToLower(s) {
				case "error", "fail", "failed", "failure", "denied", "unauthorized", "invalid":
					return true
				}
			}
		}
	}
	return false
}

// segments splits a path into its non-empty segments.
func segments(p string) []string {
	var out []string
	for s := range strings.SplitSeq(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loginPath tells whether path ends with one of the login patterns,
// segment by segment, ignoring case; "*" matches any one segment. A
// trailing slash and ";jsessionid=…" style parameters are ignored.
func (id *Identifier) loginPath(path string) bool {
	if i := strings.IndexByte(path, ';'); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimRight(path, "/")
	for _, pat := range id.login {
		if matchTail(path, pat) {
			return true
		}
	}
	return false
}

// matchTail matches pat's segments against the last segments of path,
// without splitting path (no allocation).
func matchTail(path string, pat []string) bool {
	if len(pat) == 0 {
		return false
	}
	end := len(path)
	for i := len(pat) - 1; i >= 0; i-- {
		start := strings.LastIndexByte(path[:end], '/')
		if start < 0 {
			return false
		}
		seg := path[start+1 : end]
		if seg == "" || (pat[i] != "*" && !strings.EqualFold(seg, pat[i])) {
			return false
		}
		end = start
	}
	return true
}
