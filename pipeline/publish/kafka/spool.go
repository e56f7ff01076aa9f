package kafka

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The spool is an append-only log of records on disk, in segment files named
// by a increasing sequence number (00000000000000000001.seg, …), plus a
// checkpoint file holding the position up to which records were delivered.
//
// A record on disk is
//
//	length  uint32 big-endian: bytes of payload
//	crc     uint32 big-endian: CRC-32C of length and payload
//	payload (see appendRecord)
//
// The bytes are untrusted on the way back in (a crash tears the tail, a disk
// flips bits): a short header or payload, an implausible length or a
// checksum mismatch ends the readable part of a segment; reading moves on to
// the next segment and counts the skipped region. A new spool always writes
// to a fresh segment, so a torn tail is never appended to.

const (
	segmentSuffix  = ".seg"
	checkpointName = "checkpoint"
	recordHeader   = 8
	// maxSpoolRecord caps the length field believed when reading, whatever
	// the configuration: reading never allocates more than this per record.
	maxSpoolRecord = 64 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Spool errors.
var (
	errSpoolFull    = errors.New("spool full")
	errSpoolCorrupt = errors.New("spool record corrupt")
	errRecordSize   = errors.New("record larger than the spool segment size")
)

// spoolPos is a position in the spool: a segment and a byte offset in it.
type spoolPos struct {
	seg uint64
	off int64
}

func (p spoolPos) less(q spoolPos) bool {
	return p.seg < q.seg || p.seg == q.seg && p.off < q.off
}

// spool is not safe for concurrent use: the Producer calls it under its lock.
type spool struct {
	dir       string
	maxBytes  int64
	segBytes  int64
	maxRecord int64
	segs      []uint64         // sequence numbers on disk, ascending
	sizes     map[uint64]int64 // bytes per segment
	bad       map[uint64]int64 // readable end of segments with a corrupt region
	total     int64            // bytes of all segments
	records   int64            // undelivered records (between read and write ends)
	corrupt   uint64           // unreadable regions skipped

	w      *os.File
	wb     *bufio.Writer
	wseg   uint64
	wsize  int64
	unsync bool // data written since the last flush

	r    *os.File // open read segment
	rseg uint64
	done spoolPos // delivered up to here (the checkpoint)
	read spoolPos // read (not yet delivered) up to here

	scratch []byte
}

// openSpool opens or creates the spool in dir, deletes segments the
// checkpoint says were delivered, counts what is left, and starts a new
// write segment.
func openSpool(dir string, maxBytes, segBytes int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &spool{dir: dir, maxBytes: maxBytes, segBytes: segBytes, maxRecord: min(segBytes, maxSpoolRecord), sizes: map[uint64]int64{}, bad: map[uint64]int64{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segmentSuffix), 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		s.segs = append(s.segs, seq)
		s.sizes[seq] = info.Size()
		s.total += info.Size()
	}
	slices.Sort(s.segs)
	s.done = s.loadCheckpoint()
	// Segments before the checkpoint were delivered: the process stopped
	// before deleting them.
	for len(s.segs) > 0 && s.segs[0] < s.done.seg {
		if err := s.removeSeg(s.segs[0]); err != nil {
			return nil, err
		}
	}
	if len(s.segs) == 0 || s.done.seg < s.segs[0] {
		s.done = spoolPos{}
		if len(s.segs) > 0 {
			s.done.seg = s.segs[0]
		}
	}
	s.read = s.done
	next := uint64(1)
	if len(s.segs) > 0 {
		next = s.segs[len(s.segs)-1] + 1
	}
	if err := s.openWriter(next); err != nil {
		return nil, err
	}
	// Count the undelivered records; this also finds corrupt regions early.
	n, err := s.count()
	if err != nil {
		s.close()
		return nil, err
	}
	s.records = n
	return s, nil
}

func (s *spool) segPath(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", seq, segmentSuffix))
}

func (s *spool) removeSeg(seq uint64) error {
	if s.r != nil && s.rseg == seq {
		s.r.Close()
		s.r = nil
	}
	if err := os.Remove(s.segPath(seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	s.total -= s.sizes[seq]
	delete(s.sizes, seq)
	delete(s.bad, seq)
	s.segs = slices.DeleteFunc(s.segs, func(q uint64) bool { return q == seq })
	return nil
}

func (s *spool) openWriter(seq uint64) error {
	f, err := os.OpenFile(s.segPath(seq), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.w, s.wseg, s.wsize = f, seq, 0
	if s.wb == nil {
		s.wb = bufio.NewWriterSize(f, 64<<10)
	} else {
		s.wb.Reset(f)
	}
	s.segs = append(s.segs, seq)
	s.sizes[seq] = 0
	if len(s.segs) == 1 {
		s.done, s.read = spoolPos{seg: seq}, spoolPos{seg: seq}
	}
	return nil
}

// append adds one record. It returns errSpoolFull when the record does not
// fit in the spool's bound, errRecordSize when it does not fit in a segment.
func (s *spool) append(rec *Record) error {
	s.scratch = appendRecord(s.scratch[:0], rec)
	size := int64(recordHeader + len(s.scratch))
	if size > s.maxRecord {
		return errRecordSize
	}
	if s.total+size > s.maxBytes {
		return errSpoolFull
	}
	if s.wsize > 0 && s.wsize+size > s.segBytes {
		if err := s.roll(); err != nil {
			return err
		}
	}
	var hdr [recordHeader]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(len(s.scratch)))
	crc := crc32.Update(0, crcTable, hdr[0:4])
	binary.BigEndian.PutUint32(hdr[4:], crc32.Update(crc, crcTable, s.scratch))
	if _, err := s.wb.Write(hdr[:]); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.wb.Write(s.scratch); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.wsize += size
	s.sizes[s.wseg] = s.wsize
	s.total += size
	s.records++
	s.unsync = true
	return nil
}

// roll closes the write segment (synced, so that a finished segment is
// whole on disk) and starts the next.
func (s *spool) roll() error {
	if err := s.closeWriter(); err != nil {
		return err
	}
	return s.openWriter(s.wseg + 1)
}

func (s *spool) closeWriter() error {
	if s.w == nil {
		return nil
	}
	err := s.wb.Flush()
	if serr := s.w.Sync(); err == nil {
		err = serr
	}
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	s.w = nil
	s.unsync = false
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// flush hands buffered records to the OS: after it they survive a crash of
// the process (not of the machine).
func (s *spool) flush() error {
	if !s.unsync || s.w == nil {
		return nil
	}
	s.unsync = false
	if err := s.wb.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// next reads the record at s.read and advances s.read past it. It returns
// io.EOF when every written record was read. Corrupt regions are skipped and
// counted.
func (s *spool) next(rec *Record) error {
	if err := s.flush(); err != nil {
		return err
	}
	for {
		if s.read.seg == s.wseg && s.read.off >= s.wsize {
			return io.EOF
		}
		size, ok := s.sizes[s.read.seg]
		if end, bad := s.bad[s.read.seg]; bad {
			size = end
		}
		if !ok || s.read.off >= size {
			if err := s.advanceSeg(); err != nil {
				return err
			}
			continue
		}
		n, err := s.readAt(s.read, rec)
		if errors.Is(err, errSpoolCorrupt) {
			// Nothing after a bad record in this segment can be trusted to
			// be aligned: skip to the next segment.
			s.corrupt++
			s.bad[s.read.seg] = s.read.off // the readable part
			if s.read.seg == s.wseg {
				// Cannot happen for our own writes short of a disk error;
				// never read the region again.
				return io.EOF
			}
			continue
		}
		if err != nil {
			return err
		}
		s.read.off += n
		return nil
	}
}

// advanceSeg moves the read position to the start of the next segment.
func (s *spool) advanceSeg() error {
	i, _ := slices.BinarySearch(s.segs, s.read.seg+1)
	if i >= len(s.segs) {
		return fmt.Errorf("spool: read position %d:%d past the write segment", s.read.seg, s.read.off)
	}
	s.read = spoolPos{s.segs[i], 0}
	return nil
}

// readAt decodes the record at pos, returning its size on disk.
func (s *spool) readAt(pos spoolPos, rec *Record) (int64, error) {
	if s.r == nil || s.rseg != pos.seg {
		if s.r != nil {
			s.r.Close()
			s.r = nil
		}
		f, err := os.Open(s.segPath(pos.seg))
		if err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
		s.r, s.rseg = f, pos.seg
	}
	var hdr [recordHeader]byte
	if _, err := s.r.ReadAt(hdr[:], pos.off); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, errSpoolCorrupt // torn header
		}
		return 0, fmt.Errorf("spool: %w", err)
	}
	n := int64(binary.BigEndian.Uint32(hdr[0:]))
	if n == 0 || recordHeader+n > s.maxRecord || pos.off+recordHeader+n > s.sizes[pos.seg] {
		return 0, errSpoolCorrupt
	}
	buf := make([]byte, n) // the record keeps its key, value and headers
	if _, err := s.r.ReadAt(buf, pos.off+recordHeader); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, errSpoolCorrupt
		}
		return 0, fmt.Errorf("spool: %w", err)
	}
	crc := crc32.Update(0, crcTable, hdr[0:4])
	if crc32.Update(crc, crcTable, buf) != binary.BigEndian.Uint32(hdr[4:]) {
		return 0, errSpoolCorrupt
	}
	if err := decodeRecord(buf, rec); err != nil {
		return 0, errSpoolCorrupt
	}
	return recordHeader + n, nil
}

// count counts the records from s.read to the write end without moving the
// read position.
func (s *spool) count() (int64, error) {
	saved := s.read
	defer func() { s.read = saved }()
	var n int64
	var rec Record
	for {
		err := s.next(&rec)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// rewind makes the next read start again at the delivered position.
func (s *spool) rewind() { s.read = s.done }

// commit records that everything up to pos (a value of s.read) was
// delivered, n records: it deletes finished segments and writes the
// checkpoint.
func (s *spool) commit(pos spoolPos, n int64) error {
	if !s.done.less(pos) {
		return nil
	}
	s.done = pos
	s.records -= n
	for len(s.segs) > 1 && s.segs[0] < pos.seg {
		if err := s.removeSeg(s.segs[0]); err != nil {
			return err
		}
	}
	if s.read.less(s.done) {
		s.read = s.done
	}
	if s.records <= 0 && s.done.seg == s.wseg && s.done.off >= s.wsize && s.wsize > 0 {
		// Everything delivered: start an empty segment so the spool's disk
		// use drops back to nothing.
		s.records = 0
		if err := s.roll(); err != nil {
			return err
		}
		if err := s.removeSeg(s.done.seg); err != nil {
			return err
		}
		s.done = spoolPos{seg: s.wseg}
		s.read = s.done
	}
	return s.saveCheckpoint()
}

// checkpoint file: "seg off crc\n" in decimal, crc over the first two.
func (s *spool) saveCheckpoint() error {
	body := fmt.Sprintf("%d %d", s.done.seg, s.done.off)
	data := fmt.Sprintf("%s %d\n", body, crc32.Checksum([]byte(body), crcTable))
	tmp := filepath.Join(s.dir, checkpointName+".tmp")
	if err := os.WriteFile(tmp, []byte(data), 0o640); err != nil {
		return fmt.Errorf("spool checkpoint: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, checkpointName)); err != nil {
		return fmt.Errorf("spool checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint returns the saved position, or the zero position when the
// file is missing or damaged: then everything left is delivered again
// (at-least-once).
func (s *spool) loadCheckpoint() spoolPos {
	b, err := os.ReadFile(filepath.Join(s.dir, checkpointName))
	if err != nil || len(b) > 128 {
		return spoolPos{}
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return spoolPos{}
	}
	seg, err1 := strconv.ParseUint(f[0], 10, 64)
	off, err2 := strconv.ParseInt(f[1], 10, 64)
	crc, err3 := strconv.ParseUint(f[2], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil || off < 0 ||
		uint32(crc) != crc32.Checksum([]byte(f[0]+" "+f[1]), crcTable) {
		return spoolPos{}
	}
	return spoolPos{seg, off}
}

// close flushes, syncs and closes the files; the checkpoint was written by
// the last commit.
func (s *spool) close() error {
	err := s.closeWriter()
	if s.r != nil {
		s.r.Close()
		s.r = nil
	}
	return err
}

// appendRecord encodes rec as the spool payload:
//
//	time     int64 unix nanoseconds (varint)
//	topic    uvarint length + bytes
//	key      uvarint (length+1; 0 means nil) + bytes
//	value    uvarint (length+1; 0 means nil) + bytes
//	headers  uvarint count, then per header: key (uvarint length + bytes),
//	         value (uvarint length + bytes)
func appendRecord(b []byte, rec *Record) []byte {
	b = binary.AppendVarint(b, rec.Time.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(rec.Topic)))
	b = append(b, rec.Topic...)
	b = appendNullable(b, rec.Key)
	b = appendNullable(b, rec.Value)
	b = binary.AppendUvarint(b, uint64(len(rec.Headers)))
	for _, h := range rec.Headers {
		b = binary.AppendUvarint(b, uint64(len(h.Key)))
		b = append(b, h.Key...)
		b = binary.AppendUvarint(b, uint64(len(h.Value)))
		b = append(b, h.Value...)
	}
	return b
}

func appendNullable(b, v []byte) []byte {
	if v == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v))+1)
	return append(b, v...)
}

// decodeRecord parses a payload; the record's byte slices alias buf.
func decodeRecord(buf []byte, rec *Record) error {
	d := decoder{buf: buf}
	ns := d.varint()
	topic := d.bytes(d.uvarint())
	key := d.nullable()
	value := d.nullable()
	nh := d.uvarint()
	if d.err != nil || nh > uint64(len(d.buf)) { // each header takes at least 2 bytes
		return errSpoolCorrupt
	}
	var hs []Header
	if nh > 0 {
		hs = make([]Header, 0, nh)
	}
	for range nh {
		k := d.bytes(d.uvarint())
		v := d.bytes(d.uvarint())
		if d.err != nil {
			return errSpoolCorrupt
		}
		hs = append(hs, Header{Key: string(k), Value: v})
	}
	if d.err != nil || len(d.buf) != 0 {
		return errSpoolCorrupt
	}
	*rec = Record{Topic: string(topic), Key: key, Value: value, Headers: hs, Time: time.Unix(0, ns)}
	return nil
}

// decoder reads the payload fields; after the first error every read
// returns zero values.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = errSpoolCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errSpoolCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = errSpoolCorrupt
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) nullable() []byte {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	return d.bytes(n - 1)
}
