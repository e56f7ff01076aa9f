package decoders

import (
	"bytes"
	"encoding/xml"
	"io"
)

// xmlBlank is XML's white space; maxXMLLeadBlank is how much of it the text
// of an element keeps before its first other character.
const (
	xmlBlank        = " \t\r\n"
	maxXMLLeadBlank = 4
)

// xmlFrame is one open element.
type xmlFrame struct {
	pathLen   int // length of the parent's path
	textStart int // where this element's text starts in the text buffer
}

// xml extracts element text, attributes and directives of an XML body.
//
// encoding/xml runs non-strict (unknown entities such as &xxe; stay literal
// text, unclosed elements are tolerated) and never resolves entities or
// fetches anything, so an XXE payload is only ever seen, never acted on. Any
// declared charset is read as-is rather than rejected, so that declaring one
// does not hide the body. It reports true on an error before the end of the
// body.
func (e *extractor) xml(body []byte) (syntaxErr bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		path, text []byte
		stack      []xmlFrame
		over       int // depth of open elements past maxNest
	)
	end := func() {
		fr := stack[len(stack)-1]
		// Text is kept as sent, blanks around it included: a line break
		// before a mail command or a blank after a file name is the
		// attack. Blank-only text is the indentation of child elements.
		if t := text[fr.textStart:]; len(bytes.Trim(t, xmlBlank)) > 0 && !e.full() {
			e.addKept(LocXML, e.keep(path), t, decodePlain)
		}
		path, text, stack = path[:fr.pathLen], text[:fr.textStart], stack[:len(stack)-1]
	}
	for {
		tok, err := d.RawToken()
		if err != nil {
			// Text of elements left open by a truncated body is still text.
			for len(stack) > 0 {
				end()
			}
			return err != io.EOF && d.InputOffset() < int64(len(body))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if over > 0 || len(stack) >= e.maxNest {
				if over == 0 {
					e.dropped++
				}
				over++
				continue
			}
			stack = append(stack, xmlFrame{pathLen: len(path), textStart: len(text)})
			path = appendXMLName(append(path, '/'), t.Name)
			for _, a := range t.Attr {
				if e.full() {
					continue
				}
				n := len(path)
				path = appendXMLName(append(path, "/@"...), a.Name)
				e.add(LocXML, e.keep(path), a.Value, decodePlain)
				path = path[:n]
			}
		case xml.EndElement:
			// Non-strict input may close the wrong element: each end tag
			// closes the innermost open one.
			switch {
			case over > 0:
				over--
			case len(stack) > 0:
				end()
			}
		case xml.CharData:
			if over > 0 || len(stack) == 0 {
				continue
			}
			have := len(text) - stack[len(stack)-1].textStart
			if have == 0 {
				// Of the leading blanks only the last line break and
				// the few blanks after it count towards the bound, so
				// padding cannot push a payload out of it.
				if n := len(t) - len(bytes.TrimLeft(t, xmlBlank)); n > maxXMLLeadBlank {
					keep := n - maxXMLLeadBlank
					// encoding/xml reads every line end as '\n'.
					if i := bytes.LastIndexByte(t[:n], '\n'); i >= 0 && n-i <= 4*maxXMLLeadBlank {
						keep = i
					}
					t = t[keep:]
				}
			}
			// All of it, which the body's size bounds: a long text's
			// tail is read too (add).
			text = append(text, t...)
		case xml.Directive:
			if e.full() {
				continue
			}
			name := "!DOCTYPE"
			if !hasPrefixFold(t, "doctype") {
				word, _, _ := bytes.Cut(t, []byte{' '})
				name = e.concat("!", string(cut(word, 64)))
			}
			e.add(LocXML, name, e.keep(t), noDecode)
		}
	}
}

func appendXMLName(b []byte, n xml.Name) []byte {
	if n.Space != "" {
		b = append(b, n.Space...)
		b = append(b, ':')
	}
	return append(b, n.Local...)
}
