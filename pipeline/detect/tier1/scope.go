package tier1

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
)

// scopeData is the parameters an application reads as data: query, form,
// JSON, XML, multipart, protobuf, the body and the names of parameters that
// are no identifiers; not the path, headers or cookies.
func scopeData(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocQuery, decoders.LocForm, decoders.LocJSON, decoders.LocXML,
		decoders.LocMultipart, decoders.LocProtobuf, decoders.LocBody, decoders.LocName:
		return true
	}
	return false
}

// inBody reports a parameter from a structured body, where free text (code,
// multi-line messages) is common, or a GraphQL document sent as a query or
// form parameter (a GET request's query=), multi-line text of its own.
func inBody(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocJSON, decoders.LocXML, decoders.LocMultipart, decoders.LocProtobuf, decoders.LocBody:
		return true
	case decoders.LocQuery, decoders.LocForm:
		return graphqlParam(p)
	}
	return false
}

// nameTokens splits a parameter name into lower-case words: "user.redirectURL"
// gives user, redirect, url; "callback_uri" gives callback, uri.
func nameTokens(name string) []string {
	var toks []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			toks = append(toks, strings.ToLower(name[start:end]))
			start = -1
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			if start < 0 {
				start = i
			}
		case 'A' <= c && c <= 'Z':
			// A capital starts a word unless it continues an acronym.
			if start >= 0 && !(i > 0 && 'A' <= name[i-1] && name[i-1] <= 'Z' && (i+1 >= len(name) || !('a' <= name[i+1] && name[i+1] <= 'z'))) {
				flush(i)
			}
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(name))
	return toks
}

// lastToken returns the last word of a parameter name, lower-cased; it
// allocates only for a name with capitals.
func lastToken(name string) string {
	end := len(name)
	for end > 0 && !isAlnum(name[end-1]) {
		end--
	}
	start := end
	for start > 0 && isAlnum(name[start-1]) {
		start--
		if c := name[start]; 'A' <= c && c <= 'Z' && start+1 < end && !('A' <= name[start+1] && name[start+1] <= 'Z') {
			break // the capital that starts a camel-case word
		}
	}
	w := name[start:end]
	for i := 0; i < len(w); i++ {
		if 'A' <= w[i] && w[i] <= 'Z' {
			return strings.ToLower(w)
		}
	}
	return w
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
