package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"slices"
	"sync"

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
	case len(s.layers) > maxLayers:
		s.anomaly(KindTooManyEncodings, "")
		m.Body = raw
		return
	}
	out, total, err := inflate(raw, s.layers, s.lim().MaxBodyBytes, s.lim().MaxDecompressedBytes)
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

// inflate decodes raw through layers (outermost first). It returns at most
// maxKeep bytes of output and the output size, counted up to maxOut+1.
func inflate(raw []byte, layers []string, maxKeep, maxOut int) (out []byte, total int64, err error) {
	var r io.Reader = bytes.NewReader(raw)
	var opened [maxLayers]pooled
	defer func() {
		for _, p := range opened {
			p.put()
		}
	}()
	for i, c := range layers {
		p, err := openLayer(c, r)
		if err != nil {
			return nil, 0, err
		}
		opened[i] = p
		r = p.r
	}
	lr := &io.LimitedReader{R: r, N: int64(maxOut) + 1}
	maxKeep = min(maxKeep, maxOut)
	out = make([]byte, 0, min(maxKeep, max(512, 4*len(raw))))
	for len(out) < maxKeep {
		if len(out) == cap(out) {
			out = slices.Grow(out, min(cap(out), maxKeep-len(out)))
		}
		n, rerr := lr.Read(out[len(out):min(cap(out), maxKeep)])
		out = out[:len(out)+n]
		total += int64(n)
		if rerr == io.EOF {
			return out, total, nil
		}
		if rerr != nil {
			return out, total, rerr
		}
	}
	n, err := io.Copy(io.Discard, lr)
	return out, total + n, err
}

// pooled is a decompressor borrowed from its pool.
type pooled struct {
	r    io.Reader
	pool *sync.Pool
}

func (p pooled) put() {
	if p.pool != nil {
		p.pool.Put(p.r)
	}
}

// Decompressors are large (tens of KiB of tables): reuse them across
// messages and workers.
var gzipPool, flatePool, zlibPool sync.Pool

func openLayer(coding string, r io.Reader) (pooled, error) {
	if coding == "gzip" || coding == "x-gzip" {
		z, _ := gzipPool.Get().(*gzip.Reader)
		if z == nil {
			z = new(gzip.Reader)
		}
		if err := z.Reset(r); err != nil {
			gzipPool.Put(z)
			return pooled{}, err
		}
		return pooled{z, &gzipPool}, nil
	}
	// "deflate" is meant to be zlib-wrapped (RFC 9110 §8.4.1.2) but many
	// servers send raw DEFLATE: tell them apart by the zlib header.
	var hdr [2]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return pooled{}, err
	}
	r = io.MultiReader(bytes.NewReader(hdr[:n]), r)
	if hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
		if z, _ := zlibPool.Get().(io.ReadCloser); z != nil {
			if err := z.(zlib.Resetter).Reset(r, nil); err != nil {
				zlibPool.Put(z)
				return pooled{}, err
			}
			return pooled{z, &zlibPool}, nil
		}
		z, err := zlib.NewReader(r)
		if err != nil {
			return pooled{}, err
		}
		return pooled{z, &zlibPool}, nil
	}
	if f, _ := flatePool.Get().(io.ReadCloser); f != nil {
		if err := f.(flate.Resetter).Reset(r, nil); err != nil {
			flatePool.Put(f)
			return pooled{}, err
		}
		return pooled{f, &flatePool}, nil
	}
	return pooled{flate.NewReader(r), &flatePool}, nil
}
