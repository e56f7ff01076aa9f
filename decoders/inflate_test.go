package decoders

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// compress applies coding c to data, as a server would.
func compress(t testing.TB, c string, data []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch c {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "deflate":
		w = zlib.NewWriter(&b)
	case "raw-deflate":
		w, _ = flate.NewWriter(&b, flate.DefaultCompression)
	case "br":
		w = brotli.NewWriter(&b)
	case "zstd":
		z, err := zstd.NewWriter(&b, opts...)
		if err != nil {
			t.Fatal(err)
		}
		w = z
	default:
		t.Fatalf("no coding %q", c)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInflate undoes each coding, and two nested, on a small and a large
// body; what is kept is bounded by maxKeep while the size is counted on.
func TestInflate(t *testing.T) {
	small := []byte(`{"q":"1' OR '1'='1"}`)
	large := []byte(strings.Repeat(`{"id":42,"name":"item"},`, 4000)) // 96,000 bytes
	for _, c := range []string{"gzip", "deflate", "raw-deflate", "br", "zstd"} {
		coding := c
		if c == "raw-deflate" {
			coding = "deflate" // servers that send raw DEFLATE as "deflate"
		}
		for _, data := range [][]byte{small, large} {
			out, total, err := Inflate(compress(t, c, data), []string{coding}, 1<<20, 1<<20)
			if err != nil || !bytes.Equal(out, data) || total != int64(len(data)) {
				t.Errorf("%s, %d bytes: %d bytes out (total %d), %v", c, len(data), len(out), total, err)
			}
			out, total, err = Inflate(compress(t, c, data), []string{coding}, 100, 1<<20)
			if err != nil || !bytes.Equal(out, data[:min(100, len(data))]) || total != int64(len(data)) {
				t.Errorf("%s, %d bytes, 100 kept: %d bytes out (total %d), %v", c, len(data), len(out), total, err)
			}
		}
	}
	// Content-Encoding: zstd, br — br applied last, so undone first.
	nested := compress(t, "br", compress(t, "zstd", large))
	if out, _, err := Inflate(nested, []string{"br", "zstd"}, 1<<20, 1<<20); err != nil || !bytes.Equal(out, large) {
		t.Errorf("br over zstd: %d bytes, %v", len(out), err)
	}
}

// TestInflateBombs: a body that inflates past maxOut is counted to
// maxOut+1 and no further, whatever the coding; a zstd frame that asks for a
// window past RFC 9659's 8 MiB is refused before anything is allocated.
func TestInflateBombs(t *testing.T) {
	zeros := make([]byte, 64<<20)
	for _, c := range []string{"gzip", "br", "zstd"} {
		bomb := compress(t, c, zeros)
		out, total, err := Inflate(bomb, []string{c}, 4096, 1<<20)
		if err != nil || len(out) != 4096 || total != 1<<20+1 {
			t.Errorf("%s bomb of %d bytes: kept %d, counted %d, %v", c, len(bomb), len(out), total, err)
		}
	}
	// A frame header (no single segment, no content size) whose window
	// descriptor says 2^26 bytes, then a last raw block of "abc".
	wide := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 16 << 3, 0x19, 0x00, 0x00, 'a', 'b', 'c'}
	narrow := bytes.Clone(wide)
	narrow[5] = 10 << 3 // 1 MiB
	if out, _, err := Inflate(narrow, []string{"zstd"}, 4096, 1<<20); err != nil || string(out) != "abc" {
		t.Fatalf("the 1 MiB window frame: %q, %v", out, err)
	}
	if _, _, err := Inflate(wide, []string{"zstd"}, 4096, 1<<20); err == nil {
		t.Error("a zstd frame with a 64 MiB window was decoded")
	}
}

// TestInflateCorrupt: a body cut short or damaged gives an error (the
// decoders then keep it raw), never a panic.
func TestInflateCorrupt(t *testing.T) {
	data := []byte(strings.Repeat("select * from users where id = 1; ", 200))
	for _, c := range []string{"gzip", "deflate", "br", "zstd"} {
		z := compress(t, c, data)
		if _, _, err := Inflate(z[:len(z)/2], []string{c}, 1<<20, 1<<20); err == nil {
			t.Errorf("%s cut in half: no error", c)
		}
		bad := bytes.Clone(z)
		for i := len(bad) / 3; i < len(bad)/3+8 && i < len(bad); i++ {
			bad[i] ^= 0x5a
		}
		_, _, _ = Inflate(bad, []string{c}, 1<<20, 1<<20)
	}
	if _, _, err := Inflate([]byte("x"), []string{"gzip", "br", "zstd"}, 10, 10); !errors.Is(err, ErrTooManyCodings) {
		t.Errorf("three codings: %v", err)
	}
}

// FuzzInflate: any bytes through any coding give at most maxKeep bytes and a
// total of at most maxOut+1.
func FuzzInflate(f *testing.F) {
	for i, c := range []string{"gzip", "deflate", "br", "zstd"} {
		f.Add(uint8(i), compress(f, c, []byte(`{"a":"<script>"}`)))
	}
	f.Add(uint8(3), []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x00, 0x00})
	codings := []string{"gzip", "deflate", "br", "zstd"}
	f.Fuzz(func(t *testing.T, sel uint8, raw []byte) {
		cs := []string{codings[sel%4]}
		if sel&4 != 0 {
			cs = append(cs, codings[(sel>>3)%4])
		}
		out, total, _ := Inflate(raw, cs, 512, 4096)
		if len(out) > 512 || total > 4097 || int64(len(out)) > total {
			t.Fatalf("%v: %d bytes kept, %d counted", cs, len(out), total)
		}
	})
}
