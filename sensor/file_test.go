package sensor

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// The shared captures; gencaps and make-captures.sh write them (see
// ../testdata/README.md).
const capDir = "../testdata"

// Addresses and ports of the generated captures (testdata/gencaps).
var (
	genCli4 = netip.MustParseAddr("192.0.2.10")
	genSrv4 = netip.MustParseAddr("198.51.100.20")
	genCli6 = netip.MustParseAddr("2001:db8::10")
	genSrv6 = netip.MustParseAddr("2001:db8::20")
)

// genReq1 is request A of the generated captures, the payload of the packet
// that ipv4-frag.pcap splits into fragments.
const genReq1 = "GET /search?q=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\n" +
	"Host: api.example.com\r\nUser-Agent: gencaps/1.0\r\nAccept: application/json\r\n\r\n"

// capture returns the path of a shared capture; a missing one fails the test.
func capture(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(capDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return p
}

// readAll drains r, keeping copies of the packets and every error, until io.EOF.
func readAll(t testing.TB, r *FileReader) ([]Packet, []error) {
	t.Helper()
	var (
		pkts []Packet
		errs []error
	)
	for range 1 << 20 {
		var p Packet
		err := r.Next(&p)
		switch {
		case err == io.EOF:
			return pkts, errs
		case err != nil:
			errs = append(errs, err)
		default:
			p.L4 = bytes.Clone(p.L4)
			pkts = append(pkts, p)
		}
	}
	t.Fatal("reader did not reach io.EOF")
	return nil, nil
}

// tcpPorts returns the ports of a TCP header.
func tcpPorts(l4 []byte) (src, dst uint16) {
	return binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
}

// tcpPayload returns the payload after a TCP header.
func tcpPayload(t testing.TB, l4 []byte) []byte {
	t.Helper()
	if len(l4) < 20 {
		t.Fatalf("TCP header of %d bytes", len(l4))
	}
	off := int(l4[12]>>4) * 4
	if off < 20 || off > len(l4) {
		t.Fatalf("TCP data offset %d in %d bytes", off, len(l4))
	}
	return l4[off:]
}

// pcapRecords walks a little- or big-endian pcap file and returns the offsets
// of its records; a last record that does not fit is returned apart.
func pcapRecords(t testing.TB, data []byte) (whole []int64, cut int64) {
	t.Helper()
	var bo binary.ByteOrder
	switch string(data[:4]) {
	case "\xd4\xc3\xb2\xa1", "\x4d\x3c\xb2\xa1":
		bo = binary.LittleEndian
	case "\xa1\xb2\xc3\xd4", "\xa1\xb2\x3c\x4d":
		bo = binary.BigEndian
	default:
		t.Fatalf("not a pcap file: magic %x", data[:4])
	}
	cut = -1
	for off := int64(24); off < int64(len(data)); {
		if off+16 > int64(len(data)) {
			return whole, off
		}
		n := int64(bo.Uint32(data[off+8:]))
		if off+16+n > int64(len(data)) {
			return whole, off
		}
		whole = append(whole, off)
		off += 16 + n
	}
	return whole, cut
}

func TestFileReaderCaptures(t *testing.T) {
	tests := []struct {
		file     string
		packets  int
		cli, srv netip.Addr
		vlan     [2]uint16
		nvlan    uint8
		counts   Counts // expected packet-path counters; nil: none
	}{
		{file: "linktype-sll.pcap", packets: 16, cli: genCli4, srv: genSrv4},
		{file: "linktype-sll2.pcap", packets: 16, cli: genCli4, srv: genSrv4},
		{file: "linktype-raw.pcap", packets: 16, cli: genCli4, srv: genSrv4},
		{file: "linktype-raw6.pcap", packets: 16, cli: genCli6, srv: genSrv6},
		{file: "linktype-null.pcap", packets: 16, cli: genCli4, srv: genSrv4},
		{file: "vlan-8021q.pcap", packets: 16, cli: genCli4, srv: genSrv4, vlan: [2]uint16{100, 0}, nvlan: 1},
		{file: "vlan-qinq.pcap", packets: 16, cli: genCli4, srv: genSrv4, vlan: [2]uint16{200, 100}, nvlan: 2},
		// Hop-by-hop and destination options on each of the 8 client packets.
		{file: "ipv6-exthdr.pcap", packets: 16, cli: genCli6, srv: genSrv6, counts: Counts{CountIPv6ExtHeaders: 16}},
		// 18 records: request A in three fragments.
		{file: "ipv4-frag.pcap", packets: 16, cli: genCli4, srv: genSrv4, counts: Counts{CountFragments: 3}},
		{file: "ipv6-frag.pcap", packets: 16, cli: genCli6, srv: genSrv6, counts: Counts{CountIPv6Fragments: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := capture(t, tt.file)
			counts := Counts{}
			r := NewFileReader([]string{path}, nil, counts)
			pkts, errs := readAll(t, r)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(pkts) != tt.packets {
				t.Fatalf("got %d TCP packets, want %d", len(pkts), tt.packets)
			}
			for i, p := range pkts {
				sp, dp := tcpPorts(p.L4)
				fromCli := p.Src == tt.cli && p.Dst == tt.srv && dp == 80
				fromSrv := p.Src == tt.srv && p.Dst == tt.cli && sp == 80
				if !fromCli && !fromSrv {
					t.Errorf("packet %d: %v:%d -> %v:%d, want between %v and %v:80", i, p.Src, sp, p.Dst, dp, tt.cli, tt.srv)
				}
				if p.Proto != 6 || p.Source != path || p.VLAN != tt.vlan || p.NVLAN != tt.nvlan {
					t.Errorf("packet %d: proto %d source %q vlan %v/%d, want 6 %q %v/%d",
						i, p.Proto, p.Source, p.VLAN, p.NVLAN, path, tt.vlan, tt.nvlan)
				}
			}
			// The first packet is the client's SYN.
			if first := pkts[0]; first.Frame != 1 || first.Src != tt.cli || first.L4[13]&0x12 != 0x02 {
				t.Errorf("first packet: frame %d from %v flags %#x, want frame 1 SYN from %v", first.Frame, first.Src, first.L4[13], tt.cli)
			}
			for _, k := range []string{CountPacketsNonIP, CountPacketsNonTCP, CountPacketsTruncated, CountPacketsMalformed,
				CountLinkUnsupported, CountVLANDeep, CountFragments, CountFragmentErrors, CountIPv6Fragments, CountIPv6FragmentErrors, CountIPv6ExtHeaders,
				CountFragmentOverlap, CountFragmentMemcap, CountFragmentTimeout} {
				if counts[k] != tt.counts[k] {
					t.Errorf("count %s = %d, want %d", k, counts[k], tt.counts[k])
				}
			}
		})
	}
}

// TestFileReaderFragments reads the request split into three fragments,
// sent last first, over IPv4 and IPv6 (tshark -r testdata/ipv6-frag.pcap
// shows the request whole at frame 6 too).
func TestFileReaderFragments(t *testing.T) {
	for _, tt := range []struct {
		file     string
		cli, srv netip.Addr
		frags    string
	}{
		{"ipv4-frag.pcap", genCli4, genSrv4, CountFragments},
		{"ipv6-frag.pcap", genCli6, genSrv6, CountIPv6Fragments},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := capture(t, tt.file)
			counts := Counts{}
			pkts, errs := readAll(t, NewFileReader([]string{path}, nil, counts))
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			// Frames 4, 5, 6 are the fragments at offsets 96, 0 and 48:
			// the datagram is whole at frame 6.
			var got []Packet
			for _, p := range pkts {
				if p.Frame >= 4 && p.Frame <= 6 {
					got = append(got, p)
				}
			}
			if len(got) != 1 || got[0].Frame != 6 {
				t.Fatalf("packets from fragment frames: %d, want one at frame 6", len(got))
			}
			if pl := tcpPayload(t, got[0].L4); string(pl) != genReq1 {
				t.Errorf("reassembled payload %q, want %q", pl, genReq1)
			}
			if got[0].Src != tt.cli || got[0].Dst != tt.srv {
				t.Errorf("reassembled packet %v -> %v", got[0].Src, got[0].Dst)
			}
			want := Counts{tt.frags: 3}
			if !maps.Equal(counts, want) {
				t.Errorf("counts %v, want %v", counts, want)
			}
		})
	}
}

func TestFileReaderTruncated(t *testing.T) {
	path := capture(t, "truncated.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	whole, cut := pcapRecords(t, data)
	if cut < 0 {
		t.Fatal("truncated.pcap has no cut record")
	}
	r := NewFileReader([]string{path}, nil, Counts{})
	var n int
	for {
		var p Packet
		err := r.Next(&p)
		if err == nil {
			n++
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v (%T), want *FileError", err, err)
		}
		if !fe.Warning || fe.Approx || !errors.Is(err, ErrTruncated) {
			t.Errorf("error %v: warning %v approx %v, want a truncation warning", err, fe.Warning, fe.Approx)
		}
		if fe.File != path || fe.Frame != uint64(len(whole)) || fe.Offset != cut {
			t.Errorf("error at %s frame %d offset %d, want %s frame %d offset %d", fe.File, fe.Frame, fe.Offset, path, len(whole), cut)
		}
		break
	}
	if n != len(whole) {
		t.Errorf("%d packets before the cut, want %d", n, len(whole))
	}
	if err := r.Next(&Packet{}); err != io.EOF {
		t.Errorf("after the warning: %v, want io.EOF", err)
	}
}

func TestFileReaderCorrupt(t *testing.T) {
	t.Run("pcap", func(t *testing.T) {
		path := capture(t, "corrupt.pcap")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		whole, bad := pcapRecords(t, data)
		pkts, errs := readAll(t, NewFileReader([]string{path}, nil, Counts{}))
		if len(pkts) != 8 || len(whole) != 8 {
			t.Errorf("%d packets (%d whole records), want 8", len(pkts), len(whole))
		}
		if len(errs) != 1 {
			t.Fatalf("errors %v, want one", errs)
		}
		var fe *FileError
		if !errors.As(errs[0], &fe) {
			t.Fatalf("error %v (%T), want *FileError", errs[0], errs[0])
		}
		if fe.Warning || fe.Approx || errors.Is(fe, ErrTruncated) {
			t.Errorf("error %v: warning %v approx %v, want a hard error at an exact offset", fe, fe.Warning, fe.Approx)
		}
		if fe.File != path || fe.Frame != 8 || fe.Offset != bad {
			t.Errorf("error at %s frame %d offset %d, want %s frame 8 offset %d", fe.File, fe.Frame, fe.Offset, path, bad)
		}
		if !strings.Contains(fe.Error(), "at byte offset") {
			t.Errorf("message %q does not give the offset", fe.Error())
		}
	})
	t.Run("pcapng", func(t *testing.T) {
		path := capture(t, "corrupt.pcapng")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		pkts, errs := readAll(t, NewFileReader([]string{path}, nil, Counts{}))
		if len(pkts) != 8 {
			t.Errorf("%d packets, want 8", len(pkts))
		}
		if len(errs) != 1 {
			t.Fatalf("errors %v, want one", errs)
		}
		var fe *FileError
		if !errors.As(errs[0], &fe) {
			t.Fatalf("error %v (%T), want *FileError", errs[0], errs[0])
		}
		if !fe.Approx || fe.Warning || fe.File != path || fe.Frame != 8 || fe.Offset <= 0 || fe.Offset > fi.Size() {
			t.Errorf("error %v: approx %v warning %v frame %d offset %d, want a hard error near an offset within %d bytes, frame 8",
				fe, fe.Approx, fe.Warning, fe.Frame, fe.Offset, fi.Size())
		}
		if !strings.Contains(fe.Error(), "near byte offset") {
			t.Errorf("message %q does not say the offset is approximate", fe.Error())
		}
	})
}

// After an error in one file the reader goes on with the next, whose frames
// are numbered from 1 and carry its name.
func TestFileReaderContinuesAfterError(t *testing.T) {
	bad, good := capture(t, "corrupt.pcap"), capture(t, "linktype-raw.pcap")
	missing := filepath.Join(t.TempDir(), "missing.pcap")
	r := NewFileReader([]string{bad, missing, good}, nil, Counts{})
	pkts, errs := readAll(t, r)
	if len(errs) != 2 {
		t.Fatalf("errors %v, want two", errs)
	}
	var fe *FileError
	if !errors.As(errs[0], &fe) || fe.File != bad {
		t.Errorf("first error %v, want a *FileError for %s", errs[0], bad)
	}
	if !errors.As(errs[1], &fe) || fe.File != missing || !errors.Is(errs[1], fs.ErrNotExist) {
		t.Errorf("second error %v, want not-exist for %s", errs[1], missing)
	}
	var fromBad, fromGood []Packet
	for _, p := range pkts {
		switch p.Source {
		case bad:
			fromBad = append(fromBad, p)
		case good:
			fromGood = append(fromGood, p)
		default:
			t.Fatalf("packet from %q", p.Source)
		}
	}
	if len(fromBad) != 8 || len(fromGood) != 16 {
		t.Fatalf("%d packets from %s and %d from %s, want 8 and 16", len(fromBad), bad, len(fromGood), good)
	}
	for i, p := range fromGood {
		if p.Frame != uint64(i+1) {
			t.Fatalf("packet %d of %s is frame %d, want %d", i, good, p.Frame, i+1)
		}
	}
	if st := r.Stats(); st.Files != 2 || st.Packets != 24 {
		t.Errorf("stats %+v, want 2 files and 24 records", st)
	}
}

func TestFileReaderFormats(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		stdin   bool
		packets int
		source  string // "" = the path
	}{
		{name: "pcapng", file: "http-hey.pcapng", packets: 488},
		{name: "gzip", file: "http-gonet.pcap.gz", packets: 105},
		{name: "sll", file: "http-any-sll.pcap", packets: 42},
		{name: "sll2", file: "http-any-sll2.pcap", packets: 42},
		{name: "stdin pcap", file: "linktype-null.pcap", stdin: true, packets: 16, source: "stdin"},
		{name: "stdin gzip", file: "http-gonet.pcap.gz", stdin: true, packets: 105, source: "stdin"},
		{name: "stdin pcapng", file: "http-hey.pcapng", stdin: true, packets: 488, source: "stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := capture(t, tt.file)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			paths, source := []string{path}, path
			var stdin io.Reader
			wantTotal := fi.Size()
			if tt.stdin {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				paths, source, stdin, wantTotal = []string{"-"}, tt.source, bytes.NewReader(data), 0
			}
			r := NewFileReader(paths, stdin, Counts{})
			if done, total := r.Progress(); done != 0 || total != wantTotal {
				t.Errorf("progress before reading %d/%d, want 0/%d", done, total, wantTotal)
			}
			pkts, errs := readAll(t, r)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(pkts) != tt.packets {
				t.Errorf("got %d TCP packets, want %d", len(pkts), tt.packets)
			}
			for i, p := range pkts {
				if p.Source != source || p.Frame == 0 || p.Time.IsZero() || len(p.L4) < 20 {
					t.Fatalf("packet %d: source %q frame %d time %v L4 %d bytes", i, p.Source, p.Frame, p.Time, len(p.L4))
				}
			}
			done, total := r.Progress()
			if done != fi.Size() || total != wantTotal {
				t.Errorf("progress at the end %d/%d, want %d/%d", done, total, fi.Size(), wantTotal)
			}
			if st := r.Stats(); st.Files != 1 || st.Packets < uint64(tt.packets) || st.Bytes == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestFileReaderStats(t *testing.T) {
	path := capture(t, "linktype-raw.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := pcapRecords(t, data)
	r := NewFileReader([]string{path, path}, nil, Counts{})
	pkts, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	// Captured bytes: the file less its header and the record headers.
	perFile := uint64(len(data) - 24 - 16*len(whole))
	want := FileStats{Files: 2, Packets: 2 * uint64(len(whole)), Bytes: 2 * perFile}
	if st := r.Stats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if len(pkts) != 32 || pkts[16].Frame != 1 {
		t.Errorf("%d packets, second file starts at frame %d; want 32 and 1", len(pkts), pkts[16].Frame)
	}
	if done, total := r.Progress(); done != total || total != 2*int64(len(data)) {
		t.Errorf("progress %d/%d, want %d/%d", done, total, 2*len(data), 2*len(data))
	}
}

func TestFileReaderBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		data    []byte
		is      error  // errors.Is target
		message string // substring of the message
	}{
		{name: "text", data: []byte("GET / HTTP/1.1\r\n\r\n"), is: ErrNotCapture, message: "magic 47455420"},
		{name: "empty", data: nil, is: ErrNotCapture, message: "empty file"},
		{name: "short", data: []byte{0xd4, 0xc3}, is: ErrNotCapture, message: "2 bytes"},
		{name: "gzip garbage", data: []byte{0x1f, 0x8b, 0, 0, 0, 0}, message: "gzip"},
		{name: "gzip of text", data: gzipped(t, []byte("hello, world\n")), is: ErrNotCapture, message: "magic"},
		{name: "pcap header cut", data: []byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00"), message: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tt.name, " ", "-"), tt.data)
			r := NewFileReader([]string{path}, nil, Counts{})
			err := r.Next(&Packet{})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want *FileError", err, err)
			}
			if fe.File != path || fe.Warning {
				t.Errorf("error %v: file %q warning %v", err, fe.File, fe.Warning)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.message) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("message %q, want the path and %q", err, tt.message)
			}
			if err := r.Next(&Packet{}); err != io.EOF {
				t.Errorf("next: %v, want io.EOF", err)
			}
			if st := r.Stats(); st.Files != 0 {
				t.Errorf("stats %+v, want no file opened", st)
			}
		})
	}
}

// A non-TCP packet and a non-IP frame are counted and skipped.
func TestFileReaderSkipsNonTCP(t *testing.T) {
	var b bytes.Buffer
	b.Write(pcapHeader(layers.LinkTypeEthernet))
	frames := [][]byte{
		ethFrame(0x0806, make([]byte, 28)),                     // ARP
		ethFrame(0x0800, ipv4Packet(17, nil, make([]byte, 8))), // UDP
		ethFrame(0x0800, ipv4Packet(6, nil, tcpSegment(nil))),
	}
	for _, f := range frames {
		b.Write(pcapRecord(f))
	}
	counts := Counts{}
	pkts, errs := readAll(t, NewFileReader([]string{"-"}, &b, counts))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(pkts) != 1 || pkts[0].Frame != 3 {
		t.Fatalf("packets %v, want frame 3 only", pkts)
	}
	if counts[CountPacketsNonIP] != 1 || counts[CountPacketsNonTCP] != 1 {
		t.Errorf("counts %v, want one non-IP and one non-TCP", counts)
	}
}

// pcapHeader is a little-endian pcap file header with microsecond timestamps.
func pcapHeader(lt layers.LinkType) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 4)
	h = binary.LittleEndian.AppendUint32(h, 0)     // thiszone
	h = binary.LittleEndian.AppendUint32(h, 0)     // sigfigs
	h = binary.LittleEndian.AppendUint32(h, 65535) // snaplen
	return binary.LittleEndian.AppendUint32(h, uint32(lt))
}

// pcapRecord is one record of a pcapHeader file, at time 1 s.
func pcapRecord(frame []byte) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 1)
	h = binary.LittleEndian.AppendUint32(h, 0)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(frame)))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(frame)))
	return append(h, frame...)
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFileReaderEach checks that Each sees what Next does, in order, and
// stops when asked.
func TestFileReaderEach(t *testing.T) {
	path := capture(t, "http-curl.pcap")
	want, errs := readAll(t, NewFileReader([]string{path}, nil, Counts{}))
	if len(errs) != 0 || len(want) < 3 {
		t.Fatalf("%d packets, errors %v", len(want), errs)
	}
	var got []Packet
	err := NewFileReader([]string{path}, nil, Counts{}).Each(func(p *Packet) bool {
		q := *p
		q.L4 = bytes.Clone(p.L4)
		got = append(got, q)
		return true
	})
	if err != nil || len(got) != len(want) {
		t.Fatalf("Each: %d packets, err %v; Next: %d", len(got), err, len(want))
	}
	for i := range got {
		if !got[i].Time.Equal(want[i].Time) || !bytes.Equal(got[i].L4, want[i].L4) {
			t.Fatalf("packet %d differs", i)
		}
	}
	n := 0
	if err := NewFileReader([]string{path}, nil, Counts{}).Each(func(*Packet) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Errorf("Each stopped after %d packets (err %v), want 2", n, err)
	}
	err = NewFileReader([]string{filepath.Join(t.TempDir(), "missing.pcap")}, nil, Counts{}).Each(func(*Packet) bool { return true })
	if err == nil {
		t.Error("Each on a missing file returned no error")
	}
}
