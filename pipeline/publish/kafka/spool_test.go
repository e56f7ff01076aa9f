package kafka

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func rec(i int) Record {
	return Record{
		Topic:   "t",
		Key:     []byte(fmt.Sprintf("k%d", i%3)),
		Value:   []byte(fmt.Sprintf("value-%04d", i)),
		Headers: []Header{{Key: "h", Value: []byte("v")}},
		Time:    time.Unix(1700000000, int64(i)),
	}
}

func mustOpen(t testing.TB, dir string, maxBytes, segBytes int64) *spool {
	t.Helper()
	s, err := openSpool(dir, maxBytes, segBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendN(t testing.TB, s *spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		r := rec(i)
		if err := s.append(&r); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
}

// readValues reads every record left, committing after each.
func readValues(t testing.TB, s *spool) []string {
	t.Helper()
	var out []string
	for {
		var r Record
		err := s.next(&r)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(r.Value))
		if err := s.commit(s.read, 1); err != nil {
			t.Fatal(err)
		}
	}
}

func values(from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprintf("value-%04d", i))
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestSpoolRoundTrip(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 1<<20, 1<<10)
	appendN(t, s, 0, 100)
	if s.records != 100 || len(s.segs) < 3 {
		t.Fatalf("records %d, segments %d: want 100 records over several segments", s.records, len(s.segs))
	}
	var r Record
	if err := s.next(&r); err != nil {
		t.Fatal(err)
	}
	want := rec(0)
	if r.Topic != want.Topic || !bytes.Equal(r.Key, want.Key) || !bytes.Equal(r.Value, want.Value) ||
		len(r.Headers) != 1 || r.Headers[0].Key != "h" || !r.Time.Equal(want.Time) {
		t.Fatalf("read %+v, want %+v", r, want)
	}
	s.rewind()
	if got := readValues(t, s); !equal(got, values(0, 100)) {
		t.Fatalf("read %v", got)
	}
	// Fully delivered: one empty segment is left.
	if s.records != 0 || s.total != 0 || len(s.segs) != 1 {
		t.Fatalf("after drain: records %d, bytes %d, segments %v", s.records, s.total, s.segs)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}

func TestSpoolCheckpointResume(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<20, 1<<10)
	appendN(t, s, 0, 60)
	for range 25 {
		var r Record
		if err := s.next(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.commit(s.read, 25); err != nil {
		t.Fatal(err)
	}
	// Read further without committing: those go again after a restart.
	for range 10 {
		var r Record
		if err := s.next(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir, 1<<20, 1<<10)
	if s.records != 35 {
		t.Fatalf("reopened with %d records, want 35", s.records)
	}
	appendN(t, s, 60, 5)
	if got := readValues(t, s); !equal(got, values(25, 40)) {
		t.Fatalf("resumed read %v", got)
	}
	s.close()

	// A damaged checkpoint means "from the start": at least once.
	s = mustOpen(t, dir, 1<<20, 1<<10)
	appendN(t, s, 100, 3)
	s.close()
	if err := os.WriteFile(filepath.Join(dir, checkpointName), []byte("1 2 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, 1<<20, 1<<10)
	if got := readValues(t, s); !equal(got, values(100, 3)) {
		t.Fatalf("after damaged checkpoint %v", got)
	}
	s.close()
}

// segmentFiles lists the spool's segment files in order.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSpoolTornTail(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<20, 1<<20)
	appendN(t, s, 0, 10)
	s.close()
	// A crash in the middle of the last record.
	seg := segmentFiles(t, dir)[0]
	fi, _ := os.Stat(seg)
	if err := os.Truncate(seg, fi.Size()-5); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, 1<<20, 1<<20)
	if s.records != 9 || s.corrupt != 1 {
		t.Fatalf("records %d corrupt %d, want 9 and 1", s.records, s.corrupt)
	}
	appendN(t, s, 10, 2) // goes to a new segment, after the torn one
	if got, want := readValues(t, s), append(values(0, 9), values(10, 2)...); !equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	s.close()
}

func TestSpoolChecksumMismatch(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<20, 300)
	appendN(t, s, 0, 20)
	s.close()
	segs := segmentFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	// Flip a byte in the second record of the first segment.
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	first := recordHeader + int(b[3])
	b[first+recordHeader+2] ^= 0xff
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, 1<<20, 300)
	if s.corrupt != 1 {
		t.Fatalf("corrupt %d, want 1", s.corrupt)
	}
	got := readValues(t, s)
	// The first record survives, the rest of that segment is skipped, the
	// later segments are read.
	if len(got) == 0 || got[0] != "value-0000" || len(got) >= 20 || got[len(got)-1] != "value-0019" {
		t.Fatalf("read %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order: %v", got)
		}
	}
	s.close()
}

func TestSpoolBounds(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 200, 100)
	r := rec(0)
	n := 0
	for ; ; n++ {
		err := s.append(&r)
		if errors.Is(err, errSpoolFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 || s.total > 200 {
		t.Fatalf("%d records, %d bytes in a 200-byte spool", n, s.total)
	}
	big := Record{Value: make([]byte, 200)}
	if err := s.append(&big); !errors.Is(err, errRecordSize) {
		t.Fatalf("oversize append: %v", err)
	}
	s.close()
}

func TestRecordCodec(t *testing.T) {
	tests := []Record{
		{},
		{Topic: "t", Key: []byte{}, Value: nil},
		{Topic: "t", Key: nil, Value: []byte{}},
		rec(7),
		{Topic: "x", Headers: []Header{{Key: "", Value: nil}, {Key: "a", Value: []byte("b")}}, Time: time.Unix(-5, 0)},
	}
	for i, r := range tests {
		var got Record
		if err := decodeRecord(appendRecord(nil, &r), &got); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.Topic != r.Topic || (got.Key == nil) != (r.Key == nil) || (got.Value == nil) != (r.Value == nil) ||
			!bytes.Equal(got.Key, r.Key) || !bytes.Equal(got.Value, r.Value) || len(got.Headers) != len(r.Headers) ||
			got.Time.UnixNano() != r.Time.UnixNano() {
			t.Errorf("%d: got %+v, want %+v", i, got, r)
		}
	}
	for _, bad := range [][]byte{nil, {0x80}, {0, 5, 'a'}, {0, 0, 0, 0, 200}} {
		if err := decodeRecord(bad, &Record{}); err == nil {
			t.Errorf("decodeRecord(%x) accepted", bad)
		}
	}
}

// FuzzSpoolRead opens a spool over an arbitrary segment file and reads it
// to the end: a decoder of untrusted disk bytes must neither panic nor
// allocate past its record cap.
func FuzzSpoolRead(f *testing.F) {
	dir := f.TempDir()
	s := mustOpen(f, dir, 1<<20, 1<<20)
	appendN(f, s, 0, 3)
	s.close()
	good, err := os.ReadFile(segmentFiles(f, dir)[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d%s", 1, segmentSuffix)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := openSpool(dir, 1<<20, 4<<10)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		n := 0
		for {
			var r Record
			err := s.next(&r)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(r.Value)+len(r.Key)) > s.maxRecord {
				t.Fatalf("record of %d bytes past the cap", len(r.Value))
			}
			n++
		}
		if int64(n) != s.records {
			t.Fatalf("read %d records, counted %d", n, s.records)
		}
	})
}
