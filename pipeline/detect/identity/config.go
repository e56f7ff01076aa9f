package identity

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultHashKey is the identity hash key used when none is configured. It
// is public: hashes made with it can be confirmed by anyone who guesses the
// value. Operators set their own (the same on every sensor whose events
// are aggregated together).
const DefaultHashKey = "apisensor-identity-v1-default-key-change-me"

// Config holds the identity settings. An empty field takes its default
// (DefaultConfig); names are matched without regard to case. A Config is
// comparable (lists are List values), so the detect.Config holding it is.
type Config struct {
	// TrustedProxies are the addresses (CIDR or single address) of the load
	// balancers and reverse proxies whose forwarding headers (Forwarded,
	// X-Forwarded-For, X-Real-IP) are believed. Empty: none is, and the
	// client is always the TCP peer.
	TrustedProxies List `yaml:"trusted_proxies" env:"SENSOR_IDENTITY_TRUSTED_PROXIES"`
	// ForwardedHeader names the one forwarding header the trusted proxies
	// write: x-forwarded-for, forwarded or x-real-ip. Empty: the first
	// of them present, in that order. A proxy that passes the others on
	// as the client sent them makes them the client's to forge: name the
	// proxy's own.
	ForwardedHeader string `yaml:"forwarded_header" env:"SENSOR_IDENTITY_FORWARDED_HEADER"`
	// APIKeyHeaders and APIKeyQuery name the request headers and query
	// parameters that carry an API key.
	APIKeyHeaders List `yaml:"api_key_headers" env:"SENSOR_IDENTITY_API_KEY_HEADERS"`
	APIKeyQuery   List `yaml:"api_key_query" env:"SENSOR_IDENTITY_API_KEY_QUERY"`
	// SessionCookies name the cookies that carry a session id.
	SessionCookies List `yaml:"session_cookies" env:"SENSOR_IDENTITY_SESSION_COOKIES"`
	// HashKey keys the HMAC-SHA256 that hashes keys, tokens, sessions,
	// usernames, passwords and object ids. Sensors that share it give
	// equal hashes for equal values, so events can be aggregated across
	// sensors. Default DefaultHashKey: set your own.
	HashKey string `yaml:"hash_key" env:"SENSOR_IDENTITY_HASH_KEY"`
	// LoginPaths are the endpoints that take credentials: a POST whose
	// path ends with one of these (segment by segment, "*" standing for
	// any one segment, case ignored) is a login attempt.
	LoginPaths List `yaml:"login_paths" env:"SENSOR_IDENTITY_LOGIN_PATHS"`
	// UsernameFields and PasswordFields name the request fields (JSON,
	// form, multipart, protobuf with a schema; the last part of a dotted
	// path) that carry the credentials of a login attempt.
	UsernameFields List `yaml:"username_fields" env:"SENSOR_IDENTITY_USERNAME_FIELDS"`
	PasswordFields List `yaml:"password_fields" env:"SENSOR_IDENTITY_PASSWORD_FIELDS"`
	// JA4Cache bounds the client addresses whose last TLS fingerprint is
	// remembered; TokenCache the bearer tokens whose subject is.
	JA4Cache   int `yaml:"ja4_cache" env:"SENSOR_IDENTITY_JA4_CACHE"`
	TokenCache int `yaml:"token_cache" env:"SENSOR_IDENTITY_TOKEN_CACHE"`

	// compiled is set by Prepare and shared by every copy of the Config.
	compiled *Identifier
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		APIKeyHeaders:  NewList("x-api-key", "api-key", "apikey", "x-auth-token", "x-apikey", "x-api-token"),
		APIKeyQuery:    NewList("api_key", "apikey", "api-key", "key"),
		SessionCookies: NewList("session", "sessionid", "session_id", "_session_id", "sid", "jsessionid", "phpsessid", "connect.sid", "asp.net_sessionid", "laravel_session"),
		HashKey:        DefaultHashKey,
		LoginPaths: NewList(
			"/login", "/log-in", "/signin", "/sign-in", "/sign_in", "/logon",
			"/authenticate", "/auth", "/auth/login", "/auth/token",
			"/oauth/token", "/oauth2/token", "/token", "/session", "/sessions",
			"/users/sign_in", "/user/login", "/account/login", "/j_security_check",
		),
		UsernameFields: NewList("username", "user", "user_name", "userName", "login", "email", "mail", "e-mail", "account", "userid", "user_id", "principal"),
		PasswordFields: NewList("password", "pass", "passwd", "pwd", "passphrase", "secret", "pin"),
		JA4Cache:       65536,
		TokenCache:     16384,
	}
}

// WithDefaults returns c with every empty field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	def := func(v *List, d List) {
		if len(v.Items()) == 0 {
			*v = d
		}
	}
	def(&c.APIKeyHeaders, d.APIKeyHeaders)
	def(&c.APIKeyQuery, d.APIKeyQuery)
	def(&c.SessionCookies, d.SessionCookies)
	def(&c.LoginPaths, d.LoginPaths)
	def(&c.UsernameFields, d.UsernameFields)
	def(&c.PasswordFields, d.PasswordFields)
	if c.HashKey == "" {
		c.HashKey = d.HashKey
	}
	if c.JA4Cache == 0 {
		c.JA4Cache = d.JA4Cache
	}
	if c.TokenCache == 0 {
		c.TokenCache = d.TokenCache
	}
	return c
}

// Validate reports settings that cannot work, after defaults are applied.
func (c *Config) Validate() error {
	v := c.WithDefaults()
	var errs []error
	for _, p := range v.TrustedProxies.Items() {
		if _, err := parsePrefix(p); err != nil {
			errs = append(errs, fmt.Errorf("identity: trusted_proxies: %w", err))
		}
	}
	switch strings.ToLower(v.ForwardedHeader) {
	case "", "x-forwarded-for", "forwarded", "x-real-ip":
	default:
		errs = append(errs, fmt.Errorf("identity: forwarded_header %q: one of x-forwarded-for, forwarded, x-real-ip, or empty", v.ForwardedHeader))
	}
	if v.JA4Cache < 16 || v.JA4Cache > 1<<24 {
		errs = append(errs, errors.New("identity: ja4_cache must be in 16..16777216"))
	}
	if v.TokenCache < 16 || v.TokenCache > 1<<24 {
		errs = append(errs, errors.New("identity: token_cache must be in 16..16777216"))
	}
	for _, p := range v.LoginPaths.Items() {
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("identity: login path %q must start with /", p))
		}
	}
	return errors.Join(errs...)
}

// Prepare validates c and builds its Identifier once; the Config and every
// copy made afterwards share it (and its caches). It is meant to be called
// once, before the workers start; a Config changed after Prepare keeps the
// Identifier of its earlier settings.
func (c *Config) Prepare() error {
	if c.compiled != nil {
		return nil
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.compiled = c.Identifier()
	return nil
}

// Identifier returns the Identifier Prepare built. For a Config never
// prepared it returns the one built for equal settings before (built now
// on first use), so that copies still share one Identifier and its caches;
// settings that do not validate get the default Identifier.
func (c *Config) Identifier() *Identifier {
	if c.compiled != nil {
		return c.compiled
	}
	if c.isZero() {
		return defaultIdentifier()
	}
	if v, ok := unprepared.Load(*c); ok {
		return v.(*Identifier)
	}
	id, err := New(*c)
	if err != nil {
		return defaultIdentifier()
	}
	if unpreparedN.Add(1) > maxUnprepared {
		return id
	}
	v, _ := unprepared.LoadOrStore(*c, id)
	return v.(*Identifier)
}

// unprepared holds the Identifiers of Configs never prepared, by settings;
// at most maxUnprepared of them (a program has a handful of configs).
var (
	unprepared    sync.Map
	unpreparedN   atomic.Int32
	maxUnprepared = int32(64)
)

func (c *Config) isZero() bool {
	return *c == Config{}
}

// parsePrefix accepts a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
