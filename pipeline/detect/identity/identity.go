// Package identity says who sent a request: the client address (behind
// trusted proxies), its API key, bearer token subject, session, user agent
// and TLS and HTTP/2 fingerprints, and whether the request is a login
// attempt and how it ended.
//
// Input is a decoders.Exchange, on the worker goroutine that owns its flow;
// output is alert.Client and alert.Login values, for alerts and events
// (pipeline/detect builds them), and for the behavioural detectors that key
// their state on a client. Secrets never leave: keys, tokens, sessions,
// usernames and passwords come out as keyed hashes (Identifier.Hash), equal
// across sensors that share Config.HashKey.
//
// An Identifier is safe for concurrent use by every worker. The only state
// it keeps across exchanges is three bounded caches: the last JA4 seen per
// client address, the subject of recently seen bearer tokens, and the
// hashes of recently seen credentials.
package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
	"strings"
	"sync"
)

// Identifier is a prepared Config: parsed proxies, lower-cased name sets,
// the hash key and the caches.
type Identifier struct {
	proxies        []netip.Prefix
	fwdHeader      string // Config.ForwardedHeader, lower case
	apiKeyHeaders  []string
	apiKeyQuery    []string
	sessionCookies []string
	usernames      []string
	passwords      []string
	login          [][]string // login path patterns, split into segments
	key            []byte
	hmacs          sync.Pool
	ja4            *shardedLRU[netip.Addr, string]
	subjects       *shardedLRU[string, string]
	hashes         *shardedLRU[hashKey, string]
}

// New validates cfg (after defaults) and prepares it.
func New(cfg Config) (*Identifier, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id := &Identifier{
		apiKeyHeaders:  lower(cfg.APIKeyHeaders.Items()),
		apiKeyQuery:    lower(cfg.APIKeyQuery.Items()),
		sessionCookies: lower(cfg.SessionCookies.Items()),
		usernames:      lower(cfg.UsernameFields.Items()),
		passwords:      lower(cfg.PasswordFields.Items()),
		key:            []byte(cfg.HashKey),
		fwdHeader:      strings.ToLower(cfg.ForwardedHeader),
		ja4:            newShardedLRU[netip.Addr, string](cfg.JA4Cache, hashAddr),
		subjects:       newShardedLRU[string, string](cfg.TokenCache, hashString),
		hashes:         newShardedLRU[hashKey, string](hashCacheSize, hashHashKey),
	}
	for _, p := range cfg.TrustedProxies.Items() {
		pfx, _ := parsePrefix(p) // checked by Validate
		id.proxies = append(id.proxies, pfx)
	}
	for _, p := range cfg.LoginPaths.Items() {
		id.login = append(id.login, segments(strings.ToLower(p)))
	}
	id.hmacs.New = func() any { return &hasher{h: hmac.New(sha256.New, id.key)} }
	return id, nil
}

var defaultIdentifier = sync.OnceValue(func() *Identifier {
	id, err := New(DefaultConfig())
	if err != nil {
		panic("identity: default config invalid: " + err.Error())
	}
	return id
})

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// Hash kinds separate the domains of the keyed hash, so that the same
// string hashes differently as a username and as an API key.
const (
	KindAPIKey   = "apikey"
	KindToken    = "token"
	KindSession  = "session"
	KindUsername = "username"
	KindPassword = "password"
	KindObject   = "object"
)

// Hash returns "h:" and the first 16 hex digits of HMAC-SHA256(HashKey,
// kind NUL value).
func (id *Identifier) Hash(kind, value string) string { return id.hash(kind, value, 8) }

// ShortHash is Hash with 8 hex digits: enough to count distinct values in a
// window, too few to confirm a guess.
func (id *Identifier) ShortHash(kind, value string) string { return id.hash(kind, value, 4) }

// hasher is a pooled HMAC and its input buffer: writing through the
// hash.Hash interface would copy every value to the heap.
type hasher struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// maxPooledInput bounds the input buffer a pooled hasher keeps.
const maxPooledInput = 4 << 10

// hashKey is a credential hashes caches: its kind and its exact value.
type hashKey struct{ kind, value string }

func hashHashKey(k hashKey) uint64 { return hashString(k.value) }

// Bounds of the credential hash cache: a client sends the same token, API
// key or session with every request, and an HMAC costs more than a cache
// look-up. Longer values are hashed every time, so the cache holds at most
// hashCacheSize*maxCachedValue bytes of them.
const (
	hashCacheSize  = 8192
	maxCachedValue = 1024
)

// cachedKind tells whether values of kind repeat enough to cache their
// hashes: credentials do; object ids, usernames and passwords (kept out of
// memory as plain text longer than the exchange) do not.
func cachedKind(kind string) bool {
	return kind == KindToken || kind == KindAPIKey || kind == KindSession
}

func (id *Identifier) hash(kind, value string, n int) string {
	if len(value) > maxCachedValue || !cachedKind(kind) {
		return id.hmac(kind, value, n)
	}
	k := hashKey{kind, value}
	h, ok := id.hashes.Get(k)
	if !ok {
		h = id.hmac(kind, value, 8)
		// The value may share memory with the decoder's buffers.
		k.value = strings.Clone(value)
		id.hashes.Add(k, h)
	}
	// A shorter hash is a prefix of the longer one (same HMAC).
	return h[:2+2*n]
}

func (id *Identifier) hmac(kind, value string, n int) string {
	hs := id.hmacs.Get().(*hasher)
	hs.h.Reset()
	hs.buf = append(append(append(hs.buf[:0], kind...), 0), value...)
	hs.h.Write(hs.buf)
	hs.h.Sum(hs.sum[:0])
	var out [2 + 16]byte
	out[0], out[1] = 'h', ':'
	hex.Encode(out[2:], hs.sum[:n])
	if cap(hs.buf) > maxPooledInput {
		hs.buf = nil
	}
	id.hmacs.Put(hs)
	return string(out[:2+2*n])
}

// nameIn tells whether name is one of set (lower-cased), ignoring case.
func nameIn(name string, set []string) bool {
	for _, s := range set {
		if len(s) == len(name) && strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}
