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
// and {hex} when it is 16 or more hexadecimal digits. Other segments are
// kept as sent (not decoded). A query or fragment is dropped.
func Template(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	var b strings.Builder
	b.Grow(len(path))
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(templateSegment(seg))
	}
	return b.String()
}

func templateSegment(s string) string {
	switch {
	case s == "":
		return s
	case allDigits(s):
		return "{id}"
	case isUUID(s):
		return "{uuid}"
	case isDate(s):
		return "{date}"
	case isEmail(s):
		return "{email}"
	case len(s) >= 16 && allHex(s):
		return "{hex}"
	}
	return s
}

func allDigits(s string) bool {
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

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
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
	if len(s) < 10 {
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
