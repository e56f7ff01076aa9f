package injection

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// inertMarkup reports whether v, which libinjection's HTML tokenizer finds
// dangerous, is rich text that runs nothing: every tag one of inertTags,
// no event handler, no URL with a script scheme, no style with script in
// it, no comment (conditional comments run script in old browsers) and no
// tag left open at the end of the value. CMS posts, e-mail templates and
// product descriptions are such HTML; libinjection flags any style
// attribute (CSS expressions) and tags such as iframe, svg and img whatever
// their attributes, which made every styled span or embedded video an XSS
// alert.
//
// The value is read by the HTML5 tokenizer of golang.org/x/net/html, as a
// browser reads it: entities in attribute values decoded, '/' between
// attributes, unquoted and back-quoted values. Anything it cannot classify
// is not inert.
func inertMarkup(v string) bool {
	if len(v) > 1<<14 || strings.IndexByte(v, '<') < 0 {
		return false
	}
	z := html.NewTokenizer(strings.NewReader(v))
	tags := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			// The end of the value, every token complete: a tag cut
			// short ("<img src=x onerror=…" without '>') is what is left
			// unread, and a browser would complete it with what follows
			// in the page. A value without a tag was flagged for
			// something else (<%= … %>): not this function's to clear.
			return z.Err() == io.EOF && len(z.Raw()) == 0 && tags > 0
		case html.TextToken:
			// Text that holds a tag: the content of an element read as
			// raw text (iframe, textarea), which in other contexts (SVG,
			// a sanitiser's re-serialisation) is markup again. Text with
			// an '=': attributes written outside a tag, which break out
			// of the one the value is reflected into
			// ("\"\fonfocus=print()\fautofocus x=\"<b>").
			if t := z.Raw(); tagInText(t) || bytes.IndexByte(t, '=') >= 0 {
				return false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tags++
			name, attrs := z.TagName()
			if !inertTags[string(name)] {
				return false
			}
			for attrs {
				var k, val []byte
				k, val, attrs = z.TagAttr()
				if !inertAttr(string(k), string(val)) {
					return false
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); !inertTags[string(name)] {
				return false
			}
		default: // comments, doctypes
			// An XML declaration before the first tag (an SVG file's
			// "<?xml version="1.0"?>", which HTML reads as a comment).
			if tags == 0 && xmlDeclaration(z.Raw()) {
				continue
			}
			return false
		}
	}
}

// tagInText reports a '<' followed by what starts a tag, a comment or a
// declaration.
func tagInText(t []byte) bool {
	for i := 0; i+1 < len(t); i++ {
		if c := t[i+1] | 0x20; t[i] == '<' && ('a' <= c && c <= 'z' || t[i+1] == '/' || t[i+1] == '!' || t[i+1] == '?') {
			return true
		}
	}
	return false
}

// inertTags are the elements of rich text that run nothing by themselves:
// text formatting, lists, tables, images and media, iframes (an embedded
// video: its page runs in its own origin; srcdoc is refused by inertAttr),
// and SVG shapes. Script, style, object, embed, base, meta, link, form
// controls, SVG animation, text and foreignObject are not, nor title and
// desc (raw text in HTML, markup in SVG: mutation XSS).
var inertTags = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`a abbr address article aside b bdi bdo big blockquote br caption center cite code col
		colgroup dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i iframe img ins
		kbd li main mark nav ol p picture pre q rp rt ruby s samp section small source span strike strong sub summary sup
		table tbody td tfoot th thead time tr tt u ul var video audio track wbr
		svg g path circle ellipse line polyline polygon rect defs lineargradient radialgradient stop clippath mask symbol`) {
		m[t] = true
	}
	return m
}()

// inertAttr reports whether an attribute (name lower-cased by the
// tokenizer, value entity-decoded) runs nothing: one of inertAttrs (not an
// event handler, srcdoc, formaction, an SVG link, nor what a front-end
// framework evaluates: x-init, v-on, @error, hx-get, ng-click), whose value
// holds no tag (mutation XSS through a title reflected into a textarea), a
// URL that is no script, a style without script (IE's expression(), even
// split by a comment, behaviors, bindings).
func inertAttr(k, v string) bool {
	if !inertAttrs[k] && !strings.HasPrefix(k, "aria-") || tagInText([]byte(v)) {
		return false
	}
	// Browsers drop whitespace and control bytes inside a URL scheme
	// (java&#9;script:), and compare it in any case.
	// Full-width forms are read as ASCII: CSS takes "ｅｘｐｒｅｓｓｉｏｎ"
	// for expression() in old IE, and Word pastes full-width font names.
	var b strings.Builder
	for _, r := range v {
		r = fullwidthASCII(r)
		if r <= ' ' {
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	l := b.String()
	for _, bad := range []string{"javascript:", "vbscript:", "livescript:", "mocha:", "expression", "behavior", "-moz-binding", "&#", "\\", "/*", "@import"} {
		if strings.Contains(l, bad) {
			return false
		}
	}
	if i := strings.Index(l, "data:"); i >= 0 {
		// Pictures only: a data: URL of HTML or SVG runs script.
		d := l[i+len("data:"):]
		if !(strings.HasPrefix(d, "image/png") || strings.HasPrefix(d, "image/jpeg") || strings.HasPrefix(d, "image/gif") ||
			strings.HasPrefix(d, "image/webp")) || strings.Contains(d, "data:") {
			return false
		}
	}
	return true
}

// inertAttrs are the attributes rich text, e-mail templates, embedded
// media and SVG icons carry. Any other (an event handler, a framework's
// directive, srcdoc, formaction, a namespaced link) makes a value not
// inert.
var inertAttrs = func() map[string]bool {
	m := map[string]bool{}
	for _, a := range strings.Fields(`href src srcset sizes alt title width height class style id name target rel lang dir
		role colspan rowspan span scope headers abbr align valign border cellpadding cellspacing bgcolor color face size
		start reversed type datetime cite open loading decoding controls autoplay muted loop playsinline poster preload
		frameborder allowfullscreen allow referrerpolicy crossorigin label kind srclang default
		viewbox xmlns version preserveaspectratio fill stroke stroke-width stroke-linecap stroke-linejoin stroke-miterlimit
		stroke-dasharray stroke-dashoffset fill-rule clip-rule fill-opacity stroke-opacity opacity transform d points x y x1
		y1 x2 y2 cx cy r rx ry offset stop-color stop-opacity gradientunits gradienttransform clip-path mask
		maskunits clippathunits`) {
		m[a] = true
	}
	return m
}()

// xmlDeclaration reports "<?xml …?>" holding no other markup.
func xmlDeclaration(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte("<?xml ")) && bytes.HasSuffix(raw, []byte("?>")) && bytes.Count(raw, []byte("<")) == 1 &&
		bytes.Count(raw, []byte(">")) == 1
}
