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
	var head [64]byte // an uploaded file's first bytes (uploadKind)
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
			n, _ := io.ReadFull(p, head[:])
			kind := uploadKind(ct, plain, ext, head[:n])
			if kind == bodyNone {
				continue
			}
			// As much of it as a body would be read: the whole part, which
			// the body's limit bounds.
			doc := append([]byte(nil), head[:n]...)
			if n == len(head) {
				rest, _ := io.ReadAll(io.LimitReader(p, int64(len(body))))
				doc = append(doc, rest...)
			}
			doc, _ = wideBody(ct, doc)
			doc = bytes.TrimPrefix(doc, []byte("\ufeff"))
			if kind == bodyXML {
				e.xml(doc)
			} else if e.json(string(doc)) && !e.full() {
				// A document JSON parsers read more leniently than this
				// one (comments, single quotes): its text, as a body's.
				e.add(LocMultipart, e.concat(name, ".content"), e.keep(stringPart(cut(doc, e.maxBytes+utf8.UTFMax))), decodePlain)
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
// plain or ext, whose content starts with head, is parsed: bodyXML for
// XML documents (any XML type, or SVG, XHTML, XAML, XSD, XSLT, WSDL, DTD,
// RSS, Atom, plists, XLIFF, KML, GPX by name), bodyJSON for JSON (any JSON
// type, or .json, .ndjson, .geojson, .har), else bodyNone. The type or the
// name's extension decides, as servers pick a parser by either; and a file
// that is not declared text but starts as XML or SVG does
// (<?xml, <!DOCTYPE, <svg): image libraries pick their reader from the
// content (an SVG named avatar.png is read as SVG).
func uploadKind(ct, plain, ext string, head []byte) bodyKind {
	_, typ, sub := mediaType(ct)
	if k := documentKind(sub); k != bodyNone {
		return k
	}
	for _, fn := range [2]string{plain, ext} {
		dot := strings.LastIndexByte(fn, '.')
		if dot < 0 {
			continue
		}
		switch strings.ToLower(strings.TrimRight(fn[dot+1:], " .")) {
		case "xml", "svg", "xhtml", "xaml", "xsd", "xsl", "xslt", "wsdl", "dtd", "rss", "atom", "plist", "xlf", "xliff", "kml", "gpx":
			return bodyXML
		case "json", "ndjson", "geojson", "har":
			return bodyJSON
		}
	}
	if !equalFold(typ, "text") && (sniffBody(head) == bodyXML || hasPrefixFold(bytes.TrimLeft(head, " \t\r\n\ufeff"), "<svg")) {
		return bodyXML
	}
	return bodyNone
}
