package sensor

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Errors of the file source.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	ErrTruncated  = errors.New("truncated packet record")
)

// FileError is a problem with one capture file. Offset is the byte offset of
// the record that could not be read, counted in the decompressed stream; for
// pcapng it is approximate (Approx set): the pcapng reader reads ahead. Frame
// is the number of the last good frame before the problem.
type FileError struct {
	File   string
	Offset int64
	Approx bool
	Frame  uint64
	// Warning is set for a truncated final record: the capture was cut
	// while being written, and everything before it was read.
	Warning bool
	Err     error
}

func (e *FileError) Error() string {
	at := "at byte offset"
	if e.Approx {
		at = "near byte offset"
	}
	return fmt.Sprintf("%s: %s %d (after frame %d): %v", e.File, at, e.Offset, e.Frame, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// FileStats are the file reader's totals.
type FileStats struct {
	Files   int
	Packets uint64 // records read
	Bytes   uint64 // captured bytes of those records
}

// FileReader reads packets from pcap and pcapng files, plain or gzip, one
// file after the other; "-" is standard input. It reassembles IPv4 fragments
// and yields only TCP packets; everything else is counted by kind.
//
// It is used by one goroutine.
type FileReader struct {
	paths  []string
	stdin  io.Reader
	counts Counts
	stats  FileStats

	next    int // index of the next file to open
	cur     *openFile
	dec     *FrameDecoder
	total   int64 // sum of the sizes of regular files
	doneRaw int64 // raw bytes of files already finished
}

type openFile struct {
	name   string
	closer io.Closer
	raw    *countingReader // counts raw (possibly compressed) bytes
	pcap   *pcapgo.Reader
	ng     *pcapgo.NgReader
	frame  uint64
	offset int64 // decompressed offset of the next pcap record
}

// NewFileReader returns a reader over paths, in order. counts receives the
// packet-path counters.
func NewFileReader(paths []string, stdin io.Reader, counts Counts) *FileReader {
	r := &FileReader{paths: paths, stdin: stdin, counts: counts, dec: NewFrameDecoder(counts)}
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			r.total += fi.Size()
		}
	}
	return r
}

// Stats returns the totals so far.
func (r *FileReader) Stats() FileStats { return r.stats }

// Progress reports raw bytes read so far and the total size of the regular
// files (0 when unknown, as for stdin).
func (r *FileReader) Progress() (done, total int64) {
	done = r.doneRaw
	if r.cur != nil {
		done += r.cur.raw.n
	}
	return done, r.total
}

// Next fills p with the next TCP packet. At the end of the last file it
// returns io.EOF. A problem with one file is returned as a *FileError; the
// reader then moves on to the next file, so the caller may report it and call
// Next again. p.L4 is valid until the next call.
func (r *FileReader) Next(p *Packet) error {
	for {
		if r.cur == nil {
			if r.next == len(r.paths) {
				return io.EOF
			}
			if err := r.open(r.paths[r.next]); err != nil {
				r.next++
				return err
			}
			r.next++
		}
		data, ci, lt, err := r.read()
		if err != nil {
			f := r.cur
			r.closeCurrent()
			if errors.Is(err, io.EOF) {
				continue
			}
			return r.fileError(f, err)
		}
		r.stats.Packets++
		r.stats.Bytes += uint64(len(data))
		*p = Packet{Frame: r.cur.frame, Time: ci.Timestamp, Source: r.cur.name}
		if r.dec.Decode(lt, data, p) {
			return nil
		}
	}
}

// Each calls fn on every TCP packet of the files, in order, until fn
// returns false or the last file ends; it returns the first read error (a
// tool that reports one and goes on calls Next itself). The packet is
// valid only during the call.
func (r *FileReader) Each(fn func(*Packet) bool) error {
	var p Packet
	for {
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fn(&p) {
			return nil
		}
	}
}

func (r *FileReader) fileError(f *openFile, err error) *FileError {
	fe := &FileError{File: f.name, Offset: f.offset, Frame: f.frame, Err: err}
	if f.ng != nil {
		// Bytes consumed from the file so far: the pcapng reader reads ahead.
		fe.Offset, fe.Approx = f.raw.n, true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		fe.Warning = true
		fe.Err = ErrTruncated
	}
	return fe
}

func (r *FileReader) read() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	f := r.cur
	if f.pcap != nil {
		data, ci, err := f.pcap.ZeroCopyReadPacketData()
		if err != nil {
			return nil, ci, 0, err
		}
		f.frame++
		f.offset += 16 + int64(ci.CaptureLength)
		return data, ci, f.pcap.LinkType(), nil
	}
	data, ci, err := f.ng.ZeroCopyReadPacketData()
	if err != nil {
		return nil, ci, 0, err
	}
	f.frame++
	lt := f.ng.LinkType()
	if iface, err := f.ng.Interface(ci.InterfaceIndex); err == nil {
		lt = iface.LinkType
	}
	return data, ci, lt, nil
}

func (r *FileReader) open(name string) error {
	var (
		in     io.Reader
		closer io.Closer
	)
	if name == "-" {
		in = r.stdin
		name = "stdin"
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return &FileError{File: name, Err: err}
		}
		in, closer = fh, fh
	}
	f := &openFile{name: name, closer: closer, raw: &countingReader{r: in}}
	br := bufio.NewReaderSize(f.raw, 1<<16)
	var src io.Reader = br
	magic, _ := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.close()
			return &FileError{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		zb := bufio.NewReaderSize(zr, 1<<16)
		src = zb
		magic, _ = zb.Peek(4)
	}
	if len(magic) < 4 {
		f.close()
		if len(magic) == 0 {
			return &FileError{File: name, Err: fmt.Errorf("empty file: %w", ErrNotCapture)}
		}
		return &FileError{File: name, Err: fmt.Errorf("%d bytes: %w", len(magic), ErrNotCapture)}
	}
	var err error
	switch string(magic) {
	case "\x0a\x0d\x0d\x0a":
		f.ng, err = pcapgo.NewNgReader(src, pcapgo.NgReaderOptions{})
	case "\xd4\xc3\xb2\xa1", "\xa1\xb2\xc3\xd4", "\x4d\x3c\xb2\xa1", "\xa1\xb2\x3c\x4d":
		f.pcap, err = pcapgo.NewReader(src)
		f.offset = 24
	default:
		err = fmt.Errorf("magic %x: %w", magic, ErrNotCapture)
	}
	if err != nil {
		f.close()
		return &FileError{File: name, Err: err}
	}
	r.cur = f
	r.stats.Files++
	return nil
}

func (r *FileReader) closeCurrent() {
	r.doneRaw += r.cur.raw.n
	r.cur.close()
	r.cur = nil
}

func (f *openFile) close() {
	if f.closer != nil {
		f.closer.Close()
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
