package http1

import (
	"errors"
	"io"
	"slices"

	"github.com/apisensor/sensor/decoders"
)

// decodeBody undoes the body's codings from the kept raw bytes. The output
// is read up to MaxDecompressedBytes (past it: a decompression bomb) and at
// most MaxBodyBytes of it is kept. A corrupt body is kept raw.
func (s *stream) decodeBody(m *decoders.Message, raw []byte) {
	switch {
	case s.unsupported:
		s.d.env.Counts.Inc(CountUnsupportedEncoding)
		m.Body = raw
		return
	case len(s.layers) > decoders.MaxCodings:
		s.anomaly(KindTooManyEncodings, "")
		m.Body = raw
		return
	}
	out, total, err := decoders.Inflate(raw, s.layers, s.lim().MaxBodyBytes, s.lim().MaxDecompressedBytes)
	if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && (m.BodyTruncated || m.Incomplete)) {
		// A cut input legitimately ends early; anything else is corrupt.
		s.anomaly(KindBadEncoding, err.Error())
		m.Body = raw
		return
	}
	m.Body = out
	m.ContentEncoding = slices.Clone(s.layers)
	if total > int64(s.lim().MaxDecompressedBytes) {
		s.anomaly(KindDecompressionBomb, "decompressed size over limit")
		m.BodyTruncated = true
	}
	if total > int64(len(out)) {
		m.BodyTruncated = true
	}
}
