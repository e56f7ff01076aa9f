package decoders

import (
	"bytes"
	"io"
	"mime/multipart"
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
			if ct := p.Header.Get("Content-Type"); ct != "" && !e.full() {
				e.add(LocMultipart, e.concat(name, ".content_type"), ct, noDecode)
			}
			continue // NextPart skips the rest of the content
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
