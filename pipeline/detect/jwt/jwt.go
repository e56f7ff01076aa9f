// Package jwt parses JSON Web Tokens seen on the wire, for detectors.
//
// Input is a compact JWS string as a client sent it (a bearer token, a
// cookie, a query parameter); output is a Token with the header and the
// registered claims as typed fields, the remaining claims raw, and the
// signature and signing input, so a detector can judge the token (alg none,
// expired, stripped signature) and try secrets offline (VerifyHMAC). Nothing
// here trusts the token: the parser is bounded in size and work, keeps no
// state and never panics. It verifies no asymmetric signature, since a
// passive sensor has no keys.
package jwt

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds on what Parse accepts and keeps.
const (
	// MaxTokenLen bounds the compact serialisation. Real tokens are rarely
	// over 4 KiB; the bound keeps the JSON decoding cheap.
	MaxTokenLen = 16 << 10
	// MaxClaims bounds Token.Claims; further claims are counted in
	// Token.ClaimsTotal only.
	MaxClaims = 64
	// MaxAudience bounds Token.Audience.
	MaxAudience = 16
	// MinLen is the shortest string that can be a JWT: "eyJ" header, two dots,
	// a payload of at least "e30" ({}).
	MinLen = 12
)

// Sentinel errors returned by Parse, wrapped with context.
var (
	ErrTooLong   = errors.New("token too long")
	ErrShape     = errors.New("not a compact JWS")
	ErrHeader    = errors.New("bad header")
	ErrPayload   = errors.New("bad payload")
	ErrSignature = errors.New("bad signature encoding")
)

// Header is the JOSE header of a token.
type Header struct {
	Alg string
	Kid string
	Typ string
	Cty string
	// JKU and X5U are URLs the header points the verifier to; JWK is the
	// raw key embedded in the header; X5C is set when a certificate chain
	// is embedded. Each lets an attacker supply the verification key.
	JKU string
	X5U string
	JWK json.RawMessage
	X5C bool
}

// Token is a parsed compact JWS.
type Token struct {
	Header Header

	// Registered claims and the OAuth ones detectors key on. A claim that is
	// absent or of the wrong type is left zero; Has* tell a zero time from
	// an absent one.
	Subject  string
	ClientID string // client_id (RFC 8693)
	AZP      string // azp (OpenID Connect)
	Issuer   string
	Audience []string
	ID       string // jti

	ExpiresAt, NotBefore, IssuedAt time.Time
	HasExp, HasNbf, HasIat         bool

	// Claims holds the first MaxClaims claims of the payload, raw, in no
	// particular order; ClaimsTotal counts them all.
	Claims      map[string]json.RawMessage
	ClaimsTotal int

	// Signature is the decoded third part: empty for alg none or a
	// stripped signature.
	Signature []byte
	// SigningInput is the header and payload parts as sent, joined by '.':
	// what the signature covers.
	SigningInput string
}

// Parse parses a compact JWS (header.payload.signature, base64url). The
// payload must be a JSON object: a JWS whose payload is not claims is not a
// JWT. Padding is tolerated. Parse keeps no reference to token beyond
// SigningInput, which is a substring of it.
func Parse(token string) (*Token, error) {
	if len(token) > MaxTokenLen {
		return nil, fmt.Errorf("%d bytes: %w", len(token), ErrTooLong)
	}
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, fmt.Errorf("no dot: %w", ErrShape)
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, fmt.Errorf("one dot: %w", ErrShape)
	}
	if strings.IndexByte(s, '.') >= 0 {
		// Five parts is a JWE: encrypted, nothing to read.
		return nil, fmt.Errorf("more than three parts: %w", ErrShape)
	}
	if h == "" || p == "" {
		return nil, fmt.Errorf("empty part: %w", ErrShape)
	}
	t := &Token{SigningInput: token[:len(h)+1+len(p)]}

	hb, err := decodeSegment(h)
	if err != nil {
		return nil, fmt.Errorf("header: %w: %w", ErrHeader, err)
	}
	if err := t.parseHeader(hb); err != nil {
		return nil, err
	}
	pb, err := decodeSegment(p)
	if err != nil {
		return nil, fmt.Errorf("payload: %w: %w", ErrPayload, err)
	}
	if err := t.parseClaims(pb); err != nil {
		return nil, err
	}
	if t.Signature, err = decodeSegment(s); err != nil {
		return nil, fmt.Errorf("signature: %w: %w", ErrSignature, err)
	}
	return t, nil
}

// decodeSegment decodes one base64url part, with or without padding.
func decodeSegment(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	return base64.RawURLEncoding.DecodeString(s)
}

type rawHeader struct {
	Alg *string         `json:"alg"`
	Kid json.RawMessage `json:"kid"`
	Typ json.RawMessage `json:"typ"`
	Cty json.RawMessage `json:"cty"`
	JKU json.RawMessage `json:"jku"`
	X5U json.RawMessage `json:"x5u"`
	JWK json.RawMessage `json:"jwk"`
	X5C json.RawMessage `json:"x5c"`
}

func (t *Token) parseHeader(b []byte) error {
	var rh rawHeader
	if err := json.Unmarshal(b, &rh); err != nil {
		return fmt.Errorf("header: %w: %w", ErrHeader, err)
	}
	if rh.Alg == nil {
		return fmt.Errorf("header: %w: no alg", ErrHeader)
	}
	t.Header = Header{
		Alg: *rh.Alg,
		Kid: rawString(rh.Kid),
		Typ: rawString(rh.Typ),
		Cty: rawString(rh.Cty),
		JKU: rawString(rh.JKU),
		X5U: rawString(rh.X5U),
		X5C: len(rh.X5C) > 0 && string(rh.X5C) != "null",
	}
	if len(rh.JWK) > 0 && string(rh.JWK) != "null" {
		t.Header.JWK = rh.JWK
	}
	return nil
}

// rawString returns a JSON string's value; a number (some kids are) in its
// JSON text; "" for anything else.
func rawString(r json.RawMessage) string {
	if len(r) == 0 {
		return ""
	}
	switch r[0] {
	case '"':
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(r)
	}
	return ""
}

func (t *Token) parseClaims(b []byte) error {
	// The common case, a handful of claims, decodes in one call; the
	// streaming decoder below is only needed to keep a deterministic first
	// MaxClaims of a larger payload.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return fmt.Errorf("payload: %w: not a JSON object", ErrPayload)
	}
	if len(m) <= MaxClaims {
		t.Claims, t.ClaimsTotal = m, len(m)
		for k, v := range m {
			t.claim(k, v)
		}
		return nil
	}
	return t.parseManyClaims(b)
}

// parseManyClaims keeps the first MaxClaims claims in payload order.
func (t *Token) parseManyClaims(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("payload: %w: not a JSON object", ErrPayload)
	}
	t.Claims = make(map[string]json.RawMessage, 8)
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("payload: %w: %w", ErrPayload, err)
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("payload: claim %.32q: %w: %w", k, ErrPayload, err)
		}
		t.ClaimsTotal++
		t.claim(k, v)
		if _, dup := t.Claims[k]; dup || len(t.Claims) < MaxClaims {
			t.Claims[k] = v
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("payload: %w: %w", ErrPayload, err)
	}
	if dec.More() {
		return fmt.Errorf("payload: %w: data after the object", ErrPayload)
	}
	return nil
}

// claim fills the typed field a registered claim maps to.
func (t *Token) claim(k string, v json.RawMessage) {
	switch k {
	case "sub":
		t.Subject = rawString(v)
	case "client_id":
		t.ClientID = rawString(v)
	case "azp":
		t.AZP = rawString(v)
	case "iss":
		t.Issuer = rawString(v)
	case "jti":
		t.ID = rawString(v)
	case "aud":
		t.Audience = audience(v)
	case "exp":
		t.ExpiresAt, t.HasExp = numericDate(v)
	case "nbf":
		t.NotBefore, t.HasNbf = numericDate(v)
	case "iat":
		t.IssuedAt, t.HasIat = numericDate(v)
	}
}

func audience(v json.RawMessage) []string {
	if len(v) > 0 && v[0] == '"' {
		if s := rawString(v); s != "" {
			return []string{s}
		}
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return nil
	}
	var out []string
	for _, e := range list {
		if len(out) == MaxAudience {
			break
		}
		if s := rawString(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// numericDate reads a NumericDate (seconds since the epoch, maybe
// fractional). A string holding a number is accepted too: some issuers
// send one, and verifiers differ on it, which is what a detector wants to
// see.
func numericDate(v json.RawMessage) (time.Time, bool) {
	s := string(v)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	// Clamp to what time.Time can hold without overflow.
	const limit = 1 << 40
	f = max(min(f, limit), -limit)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// IsNone reports whether the header says the token is unsecured ("none" in
// any case: verifiers that compare case-insensitively accept "None").
func (t *Token) IsNone() bool {
	return strings.EqualFold(t.Header.Alg, "none")
}

// IsHMAC reports whether the header names an HMAC algorithm that
// VerifyHMAC can check.
func (t *Token) IsHMAC() bool {
	return hmacHash(t.Header.Alg) != nil
}

func hmacHash(alg string) func() hash.Hash {
	switch alg {
	case "HS256":
		return sha256.New
	case "HS384":
		return sha512.New384
	case "HS512":
		return sha512.New
	}
	return nil
}

// VerifyHMAC reports whether secret signs the token under its HS256, HS384
// or HS512 header alg. It is false for any other alg and for an empty
// signature. To try many secrets on one token, use NewHMACVerifier.
func (t *Token) VerifyHMAC(secret []byte) bool {
	v := t.NewHMACVerifier()
	return v != nil && v.Verify(secret)
}

// HMACVerifier tries secrets on one token's signature, reusing its hash
// state: a few hundred tries cost no allocation past the first. It is not
// safe for concurrent use.
type HMACVerifier struct {
	input     []byte
	sig       []byte
	h         hash.Hash
	block     int
	key, pad  []byte
	sum, isum []byte
}

// NewHMACVerifier returns a verifier for t, or nil when t is not signed
// with HS256, HS384 or HS512 or its signature is not the digest's length.
func (t *Token) NewHMACVerifier() *HMACVerifier {
	newHash := hmacHash(t.Header.Alg)
	if newHash == nil {
		return nil
	}
	h := newHash()
	if len(t.Signature) != h.Size() {
		return nil
	}
	return &HMACVerifier{
		input: []byte(t.SigningInput),
		sig:   t.Signature,
		h:     h,
		block: h.BlockSize(),
		key:   make([]byte, 0, h.BlockSize()),
		pad:   make([]byte, h.BlockSize()),
		sum:   make([]byte, 0, h.Size()),
		isum:  make([]byte, 0, h.Size()),
	}
}

// Verify reports whether secret produced the token's signature. It is
// RFC 2104 HMAC written out so the hash is reset rather than rebuilt per
// try; the result equals crypto/hmac's.
func (v *HMACVerifier) Verify(secret []byte) bool {
	key := secret
	if len(key) > v.block {
		v.h.Reset()
		v.h.Write(key)
		v.key = v.h.Sum(v.key[:0])
		key = v.key
	}
	// Inner: H((K ^ ipad) || message).
	for i := range v.pad {
		v.pad[i] = 0x36
	}
	for i, c := range key {
		v.pad[i] ^= c
	}
	v.h.Reset()
	v.h.Write(v.pad)
	v.h.Write(v.input)
	v.isum = v.h.Sum(v.isum[:0])
	// Outer: H((K ^ opad) || inner).
	for i := range v.pad {
		v.pad[i] = 0x5c
	}
	for i, c := range key {
		v.pad[i] ^= c
	}
	v.h.Reset()
	v.h.Write(v.pad)
	v.h.Write(v.isum)
	v.sum = v.h.Sum(v.sum[:0])
	return hmac.Equal(v.sum, v.sig)
}
