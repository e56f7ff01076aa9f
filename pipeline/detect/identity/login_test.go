package identity

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

const (
	unspecified = alert.LoginOutcome_LOGIN_OUTCOME_UNSPECIFIED
	success     = alert.LoginOutcome_LOGIN_OUTCOME_SUCCESS
	failure     = alert.LoginOutcome_LOGIN_OUTCOME_FAILURE
)

func jsonp(name, value string) decoders.Param {
	return decoders.Param{Loc: decoders.LocJSON, Name: name, Value: value}
}

func respond(x *decoders.Exchange, status int, body string, headers ...string) *decoders.Exchange {
	r := &decoders.Message{Status: status, Body: []byte(body)}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Headers = append(r.Headers, decoders.Header{Name: headers[i], Value: headers[i+1]})
	}
	x.Response = r
	return x
}

func TestIsLogin(t *testing.T) {
	id := defaultIdentifier()
	grpcCall := func(method string) *decoders.Exchange {
		x := exchange("203.0.113.9", "POST", "/auth.v1.Auth/"+method, nil)
		x.GRPC = &decoders.GRPCCall{Service: "auth.v1.Auth", Method: method, Status: -1}
		return x
	}
	tests := []struct {
		x    *decoders.Exchange
		want bool
	}{
		{exchange("1.1.1.1", "POST", "/login", nil), true},
		{exchange("1.1.1.1", "POST", "/api/v1/login/", nil), true},
		{exchange("1.1.1.1", "POST", "/API/V2/Auth/Login?next=/", nil), true},
		{exchange("1.1.1.1", "POST", "/oauth/token", nil), true},
		{exchange("1.1.1.1", "POST", "/users/sign_in", nil), true},
		{exchange("1.1.1.1", "POST", "/j_security_check;jsessionid=1", nil), true},
		{exchange("1.1.1.1", "GET", "/login", nil), false},
		{exchange("1.1.1.1", "POST", "/login/help", nil), false},
		{exchange("1.1.1.1", "POST", "/blogin", nil), false},
		{exchange("1.1.1.1", "POST", "/api/orders", nil), false},
		{grpcCall("Login"), true},
		{grpcCall("SignInWithPassword"), true},
		{grpcCall("GetUser"), false},
	}
	for _, tt := range tests {
		if got := id.IsLogin(tt.x); got != tt.want {
			t.Errorf("%s %s: IsLogin = %v, want %v", tt.x.Request.Method, tt.x.Request.URI, got, tt.want)
		}
	}
}

func TestLoginOutcome(t *testing.T) {
	id := defaultIdentifier()
	login := func() *decoders.Exchange {
		return exchange("203.0.113.9", "POST", "/api/login", nil, jsonp("user.email", "Alice@Example.com"), jsonp("password", "hunter2"))
	}
	grpcLogin := func(status int) *decoders.Exchange {
		x := login()
		x.GRPC = &decoders.GRPCCall{Method: "Login", Status: status}
		return x
	}
	tests := []struct {
		name string
		x    *decoders.Exchange
		want alert.LoginOutcome
	}{
		{"200 token", respond(login(), 200, `{"token":"abc"}`), success},
		{"204", respond(login(), 204, ""), success},
		{"200 error marker", respond(login(), 200, `{"error":"invalid credentials"}`), failure},
		{"200 success false", respond(login(), 200, `{"success":false,"message":"no"}`), failure},
		{"200 status failed", respond(login(), 200, `{"status":"failed"}`), failure},
		{"200 error null", respond(login(), 200, `{"error":null,"token":"x"}`), success},
		{"200 html", respond(login(), 200, `<html>welcome</html>`), success},
		{"401", respond(login(), 401, ""), failure},
		{"403", respond(login(), 403, `{}`), failure},
		{"400 invalid_grant", respond(login(), 400, `{"error":"invalid_grant"}`), failure},
		{"400 no marker", respond(login(), 400, `bad json`), unspecified},
		{"302 to login", respond(login(), 302, "", "Location", "/login?error=1"), failure},
		{"302 to login page", respond(login(), 302, "", "Location", "https://example.com/users/sign_in"), failure},
		{"302 to dashboard", respond(login(), 302, "", "Location", "https://example.com/dashboard"), success},
		{"429", respond(login(), 429, ""), unspecified},
		{"500", respond(login(), 500, ""), unspecified},
		{"no response", login(), unspecified},
		{"grpc ok", grpcLogin(0), success},
		{"grpc unauthenticated", grpcLogin(16), failure},
		{"grpc permission denied", grpcLogin(7), failure},
		{"grpc unavailable", grpcLogin(14), unspecified},
	}
	for _, tt := range tests {
		l := id.Login(tt.x)
		if l == nil {
			t.Errorf("%s: not a login", tt.name)
			continue
		}
		if l.Outcome != tt.want {
			t.Errorf("%s: outcome %v, want %v", tt.name, l.Outcome, tt.want)
		}
		if l.Username != id.Hash(KindUsername, "alice@example.com") || l.Password != id.ShortHash(KindPassword, "hunter2") {
			t.Errorf("%s: username %q password %q", tt.name, l.Username, l.Password)
		}
	}
}

func TestLoginCredentials(t *testing.T) {
	id := defaultIdentifier()
	form := exchange("1.1.1.1", "POST", "/signin", nil,
		decoders.Param{Loc: decoders.LocForm, Name: "username", Value: "bob"},
		decoders.Param{Loc: decoders.LocForm, Name: "pwd", Value: "p%40ss", Decoded: "p@ss", Decodes: 1})
	basic := exchange("1.1.1.1", "POST", "/token", []string{"Authorization: Basic Ym9iOnBAc3M="})
	query := exchange("1.1.1.1", "POST", "/login", nil, q("username", "bob"), q("password", "p@ss"))
	tests := []struct {
		name       string
		x          *decoders.Exchange
		user, pass string
	}{
		{"form", form, "bob", "p@ss"},
		{"basic", basic, "bob", "p@ss"},
		{"query", query, "bob", "p@ss"},
	}
	for _, tt := range tests {
		l := id.Login(tt.x)
		var wu, wp string
		if tt.user != "" {
			wu = id.Hash(KindUsername, tt.user)
		}
		if tt.pass != "" {
			wp = id.ShortHash(KindPassword, tt.pass)
		}
		if l.GetUsername() != wu || l.GetPassword() != wp {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, l.GetUsername(), l.GetPassword(), wu, wp)
		}
	}
	if id.Login(exchange("1.1.1.1", "GET", "/api/items", nil)) != nil {
		t.Error("not a login, Login not nil")
	}
}
