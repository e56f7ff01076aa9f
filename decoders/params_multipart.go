package decoders

import (
	"bytes"
	"io"
	"mime/multipart"
	"strings"
	"unicode/utf8"
)

// multipart extracts the fields of a multipart body. A truncated body yields
// the parts (and the part content) read before its end.
func (e *extractor) multipart(body []byte, boundary string) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	buf := make([]byte, min(e.maxBytes+utf8.UTFMax, len(body)))
	for {
		// NextPart undoes quoted-printable transfer encoding, as servers do.
		p, err := r.NextPart()
		if err != nil {
			return
		}
		// Part.FileName would strip the directories of the filename, and
		// "../../x" is exactly what a path traversal detector must see:
		// parse the disposition here.
		cd := p.Header.Get("Content-Disposition")
		name, _ := mediaParam(cd, "name")
		e.name(LocMultipart, name)
		// A file name given both ways is read both ways: servers differ
		// on which wins (mediaParamForms). An empty one makes no file:
		// Go, PHP and others read the part as a field.
		if plain, ext, okPlain, okExt := mediaParamForms(cd, "filename"); plain != "" || ext != "" {
			fn := e.concat(name, ".filename")
			if okPlain && !e.full() {
				e.add(LocMultipart, fn, plain, decodePlain)
			}
			if okExt && (!okPlain || ext != plain) && !e.full() {
				e.add(LocMultipart, fn, ext, decodePlain)
			}
			ct := p.Header.Get("Content-Type")
			if ct != "" && !e.full() {
				e.add(LocMultipart, e.concat(name, ".content_type"), ct, noDecode)
			}
			// An uploaded document the server parses is read as a body
			// of its type would be: an SVG avatar or an XML import with
			// an external entity (XXE), a JSON import with a gadget's
			// $type. Other files (images, archives, text) are data, and
			// NextPart skips the rest of their content.
			switch uploadKind(ct, plain, ext) {
			case bodyXML:
				n, _ := io.ReadFull(p, buf)
				e.xml(buf[:n])
			case bodyJSON:
				n, _ := io.ReadFull(p, buf)
				e.json(string(buf[:n]))
			}
			continue
		}
		// A field without a file name: the application reads a string,
		// whatever its bytes (a guess at binary would be the sender's to
		// steer: a few control bytes before a payload); stringPart keeps
		// what a long binary one says.
		n, _ := io.ReadFull(p, buf)
		if !e.full() {
			e.add(LocMultipart, name, e.keep(stringPart(buf[:n])), decodePlain)
		}
	}
}

// uploadKind returns how an uploaded file of content type ct and file name
// plain or ext is parsed: bodyXML for XML documents (any */xml or */*+xml
// type, SVG, XSD, XSLT, WSDL, RSS, Atom, plists, XLIFF, KML, GPX), bodyJSON
// for JSON, else bodyNone. The type or the name's extension decides, as
// servers pick a parser by either.
func uploadKind(ct, plain, ext string) bodyKind {
	mt, _, sub := mediaType(ct)
	sub = strings.ToLower(sub)
	switch {
	case sub == "xml" || strings.HasSuffix(sub, "+xml"):
		return bodyXML
	case sub == "json" || strings.HasSuffix(sub, "+json") || equalFold(mt, "text/json"):
		return bodyJSON
	}
	for _, fn := range [2]string{plain, ext} {
		dot := strings.LastIndexByte(fn, '.')
		if dot < 0 {
			continue
		}
		switch strings.ToLower(strings.TrimRight(fn[dot+1:], " .")) {
		case "xml", "svg", "xsd", "xsl", "xslt", "wsdl", "rss", "atom", "plist", "xlf", "xliff", "kml", "gpx":
			return bodyXML
		case "json":
			return bodyJSON
		}
	}
	return bodyNone
}
