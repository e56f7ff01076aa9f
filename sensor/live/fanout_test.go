package live

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

func eth(etherType uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	binary.BigEndian.PutUint16(b[12:], etherType)
	return append(b, payload...)
}

func ip4(src, dst string, proto byte, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return append(b, payload...)
}

func ip6tcp(src, dst string, sport, dport uint16) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], 20)
	b[6] = 6
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, ports(sport, dport, 20)...)
}

// ports is an L4 header of n bytes starting with the two ports.
func ports(sport, dport uint16, n int) []byte {
	b := make([]byte, n)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	if n > 12 {
		b[12] = 5 << 4
	}
	return b
}

func udp(sport, dport uint16, payload []byte) []byte {
	b := ports(sport, dport, 8)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b[:8], payload...)
}

// tcpFlow is an inner Ethernet frame of one direction of a TCP connection.
func tcpFlow(fwd bool) []byte {
	if fwd {
		return eth(0x0800, ip4("192.0.2.1", "192.0.2.2", 6, ports(40000, 8080, 20)))
	}
	return eth(0x0800, ip4("192.0.2.2", "192.0.2.1", 6, ports(8080, 40000, 20)))
}

// mirrored wraps an inner frame as a mirror sends it, the outer UDP source
// port differing per direction as encapsulating hosts choose it.
func mirrored(dport uint16, tunnelHdr, inner []byte, sport uint16) []byte {
	return eth(0x0800, ip4("10.0.0.1", "10.0.0.9", 17, udp(sport, dport, append(append([]byte(nil), tunnelHdr...), inner...))))
}

var (
	vxlanHdr      = []byte{0x08, 0, 0, 0, 0, 0, 42, 0}
	geneveEthHdr  = []byte{2, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8} // two words of options
	geneveIPv4Hdr = []byte{0, 0, 0x08, 0x00, 0, 0, 7, 0}
)

func TestInnerFlowFanout(t *testing.T) {
	raw, err := innerFlowFanout(false)
	if err != nil {
		t.Fatal(err)
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("does not disassemble")
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	hash := func(pkt []byte) int {
		t.Helper()
		n, err := vm.Run(pkt)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	innerHash := hash(tcpFlow(true))
	if innerHash == 0 {
		t.Fatal("plain TCP hashes to 0")
	}
	for _, c := range []struct {
		name     string
		fwd, rev []byte
	}{
		{"plain TCP", tcpFlow(true), tcpFlow(false)},
		{"vxlan", mirrored(4789, vxlanHdr, tcpFlow(true), 51000), mirrored(4789, vxlanHdr, tcpFlow(false), 62000)},
		{"geneve ethernet", mirrored(6081, geneveEthHdr, tcpFlow(true), 51000), mirrored(6081, geneveEthHdr, tcpFlow(false), 62000)},
		{"geneve ip", mirrored(6081, geneveIPv4Hdr, tcpFlow(true)[14:], 51000), mirrored(6081, geneveIPv4Hdr, tcpFlow(false)[14:], 62000)},
		{"ipv6", eth(0x86dd, ip6tcp("2001:db8::1", "2001:db8::2", 40000, 443)), eth(0x86dd, ip6tcp("2001:db8::2", "2001:db8::1", 443, 40000))},
	} {
		f, r := hash(c.fwd), hash(c.rev)
		if f != r {
			t.Errorf("%s: directions hash to %#x and %#x", c.name, f, r)
		}
		if c.name != "ipv6" && f != innerHash {
			t.Errorf("%s: %#x, want the inner flow's %#x", c.name, f, innerHash)
		}
	}
	// Inner flows of one tunnel spread: another client port, another hash.
	other := eth(0x0800, ip4("192.0.2.1", "192.0.2.2", 6, ports(40001, 8080, 20)))
	if hash(mirrored(4789, vxlanHdr, other, 51000)) == innerHash {
		t.Error("two inner flows of one tunnel hash alike")
	}
	for _, c := range []struct {
		name string
		pkt  []byte
	}{
		{"arp", eth(0x0806, make([]byte, 28))},
		{"short", []byte{1, 2, 3}},
		{"vxlan without a frame", mirrored(4789, vxlanHdr, nil, 1)},
	} {
		if h := hash(c.pkt); h != 0 {
			t.Errorf("%s: %#x, want 0", c.name, h)
		}
	}
	// A UDP datagram that is not a tunnel hashes its own addresses.
	dns := eth(0x0800, ip4("10.0.0.1", "10.0.0.9", 17, udp(5353, 53, make([]byte, 20))))
	dnsBack := eth(0x0800, ip4("10.0.0.9", "10.0.0.1", 17, udp(53, 5353, make([]byte, 20))))
	if hash(dns) != hash(dnsBack) {
		t.Error("udp: directions differ")
	}
}
