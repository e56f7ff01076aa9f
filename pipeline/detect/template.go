package detect

import (
	"strings"
	"time"
)

// Template returns path with the segments that look like identifiers
// replaced by a placeholder, so that requests to the same endpoint share one
// template: /users/42/orders/7f1c…-…/items becomes
// /users/{id}/orders/{uuid}/items.
//
// A segment becomes {id} when it is all decimal digits, {uuid} when it is a
// UUID, {date} when it starts with an ISO 8601 date (2024-05-06, with or
// without a time), {email} when it is an e-mail address (@ raw or as %40),
// {hex} when it is 8 or more hexadecimal digits with at least one decimal
// digit among them, and {opaque} when it looks like a generated id (ULID,
// base64url): 20 or more letters, digits, '-' and '_', with at least two
// digits and no run of six lower-case letters (which words have). Other
// segments are kept as sent (not decoded). A query or fragment is dropped.
func Template(path string) string {
	t, _ := TemplateIDs(path, nil)
	return t
}

// MaxObjectIDs bounds the identifiers TemplateIDs returns for one path.
const MaxObjectIDs = 16

// TemplateIDs is Template that also appends to ids the segments it
// replaced, in order, at most MaxObjectIDs of them: the object ids a
// request names, for enumeration detection.
func TemplateIDs(path string, ids []string) (string, []string) {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// Most paths have no identifier: the builder starts at the first
	// replaced segment, and a path without one is copied once.
	var b strings.Builder
	replaced := false
	for start := 0; ; {
		end := strings.IndexByte(path[start:], '/')
		seg := path[start:]
		if end >= 0 {
			seg = path[start : start+end]
		}
		if t := templateSegment(seg); t != seg {
			if !replaced {
				replaced = true
				b.Grow(len(path) + len(PlaceholderOpaque))
				b.WriteString(path[:start])
			}
			b.WriteString(t)
			if len(ids) < MaxObjectIDs {
				ids = append(ids, seg)
			}
		} else if replaced {
			b.WriteString(seg)
		}
		if end < 0 {
			break
		}
		if replaced {
			b.WriteByte('/')
		}
		start += end + 1
	}
	if !replaced {
		// A copy: the path may share memory with the decoder's buffers.
		return strings.Clone(path), ids
	}
	return b.String(), ids
}

// Placeholders Template writes.
const (
	PlaceholderID     = "{id}"
	PlaceholderUUID   = "{uuid}"
	PlaceholderDate   = "{date}"
	PlaceholderEmail  = "{email}"
	PlaceholderHex    = "{hex}"
	PlaceholderOpaque = "{opaque}"
)

func templateSegment(s string) string {
	switch {
	case s == "":
		return s
	case AllDigits(s):
		return PlaceholderID
	case isUUID(s):
		return PlaceholderUUID
	case isDate(s):
		return PlaceholderDate
	case isEmail(s):
		return PlaceholderEmail
	case isHexID(s):
		return PlaceholderHex
	case isOpaque(s):
		return PlaceholderOpaque
	}
	return s
}

// AllDigits reports whether s holds only ASCII digits (true when empty).
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isHexID accepts 8 or more hex digits of which one at least is a decimal
// digit: "deadbeef" and "facade00"-like words aside, hashes and object ids
// have digits.
func isHexID(s string) bool {
	if len(s) < 8 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
		digit = digit || s[i] <= '9'
	}
	return digit
}

// isOpaque accepts generated identifiers: ULIDs, base64url ids, nanoids of
// 20 characters or more.
func isOpaque(s string) bool {
	if len(s) < 20 {
		return false
	}
	digits, lowerRun := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
			lowerRun = 0
		case 'a' <= c && c <= 'z':
			lowerRun++
			if lowerRun >= 6 {
				return false
			}
		case 'A' <= c && c <= 'Z', c == '-', c == '_':
			lowerRun = 0
		default:
			return false
		}
	}
	return digits >= 2
}

// isUUID accepts the 8-4-4-4-12 form in either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// isDate accepts a calendar date, alone or followed by a time
// ("2024-05-06T10:00:00Z", "2024-05-06%2010:00", "2024-05-06_1000"); any
// other character after the date makes the segment a word
// ("2024-05-06abc").
func isDate(s string) bool {
	// The separators first: time.Parse costs more than the whole rest of
	// a template.
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return false
	}
	if len(s) == 10 {
		return true
	}
	switch s[10] {
	case 'T', 't', '_', '%', '+':
		return true
	}
	return false
}

// isEmail accepts local@domain.tld, with the @ raw or percent-encoded.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok {
		local, domain, ok = strings.Cut(s, "%40")
	}
	if !ok || local == "" || strings.ContainsAny(domain, "@/") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1
}
