package decoders

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// MaxCodings bounds nested content codings ("gzip, gzip") undone on one
// body, as Suricata does.
const MaxCodings = 2

// ErrTooManyCodings is returned by Inflate for more than MaxCodings layers.
var ErrTooManyCodings = errors.New("too many content codings")

// Inflate undoes codings ("gzip", "x-gzip", "deflate", "br", "zstd";
// outermost first) on raw. It returns at most maxKeep bytes of output and the output size,
// counted up to maxOut+1 so that a decompression bomb is told by total >
// maxOut without decoding it all. A raw input that was cut short yields
// io.ErrUnexpectedEOF with the output decoded so far.
//
// It is shared by the HTTP decoders and the gRPC layer (grpc-encoding).
func Inflate(raw []byte, codings []string, maxKeep, maxOut int) (out []byte, total int64, err error) {
	if len(codings) > MaxCodings {
		return nil, 0, ErrTooManyCodings
	}
	var r io.Reader = bytes.NewReader(raw)
	var opened [MaxCodings]pooled
	defer func() {
		for _, p := range opened {
			p.put()
		}
	}()
	for i, c := range codings {
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

// Decompressors are large (tens of KiB of tables, a window for brotli and
// zstd): reuse them across messages and workers.
var gzipPool, flatePool, zlibPool, brotliPool, zstdPool sync.Pool

// Supported reports whether Inflate undoes content coding c (lower-case).
func Supported(c string) bool {
	switch c {
	case "gzip", "x-gzip", "deflate", "br", "zstd":
		return true
	}
	return false
}

// zstdMaxWindow bounds the window a zstd frame may ask for: RFC 9659 has
// HTTP's zstd coding use at most 8 MiB, and a frame may declare up to 2 GiB,
// which the decoder would allocate. Brotli's window is at most 16 MiB by
// its format (large windows are an extension the decoder does not take).
const zstdMaxWindow = 8 << 20

func openLayer(coding string, r io.Reader) (pooled, error) {
	switch coding {
	case "br":
		if b, _ := brotliPool.Get().(*brotli.Reader); b != nil {
			if err := b.Reset(r); err != nil {
				brotliPool.Put(b)
				return pooled{}, err
			}
			return pooled{b, &brotliPool}, nil
		}
		return pooled{brotli.NewReader(r), &brotliPool}, nil
	case "zstd":
		// Concurrency 1: the decoder runs on the caller's goroutine
		// and starts none, so a pooled one holds nothing running.
		z, _ := zstdPool.Get().(*zstd.Decoder)
		if z == nil {
			var err error
			z, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(zstdMaxWindow))
			if err != nil {
				return pooled{}, err
			}
		}
		if err := z.Reset(r); err != nil {
			zstdPool.Put(z)
			return pooled{}, err
		}
		return pooled{z, &zstdPool}, nil
	}
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
	return pooled{FlateReader(r, nil), &flatePool}, nil
}

// FlateReader returns a raw DEFLATE reader of r with the preset dictionary
// dict (copied), from the pool Inflate draws on; PutFlate hands it back.
// It serves decoders whose compression spans messages (WebSocket's
// permessage-deflate).
func FlateReader(r io.Reader, dict []byte) io.ReadCloser {
	if f, _ := flatePool.Get().(io.ReadCloser); f != nil {
		// Reset on a flate reader returns no error.
		_ = f.(flate.Resetter).Reset(r, dict)
		return f
	}
	return flate.NewReaderDict(r, dict)
}

// PutFlate hands a reader from FlateReader back to the pool.
func PutFlate(f io.ReadCloser) { flatePool.Put(f) }
