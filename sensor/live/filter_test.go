package live

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// frame is an Ethernet/IPv4/TCP (or UDP) frame between 10.0.0.1:40000 and
// 10.0.0.2:dport, with payload bytes of data.
func frame(proto byte, dport uint16, payload int) []byte {
	b := make([]byte, 14+20+20+payload)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+payload))
	ip[8] = 64
	ip[9] = proto
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	l4 := ip[20:]
	binary.BigEndian.PutUint16(l4[0:], 40000)
	binary.BigEndian.PutUint16(l4[2:], dport)
	l4[12] = 5 << 4
	return b
}

// runFilter runs prog in the x/net/bpf interpreter, as the kernel would,
// and returns its verdict: 0 drops, n keeps at most n bytes.
func runFilter(t *testing.T, prog []bpf.RawInstruction, pkt []byte) int {
	t.Helper()
	insns, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatalf("program does not disassemble: %v", prog)
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return n
}

func TestCompileFilter(t *testing.T) {
	const snap = 128
	big := frame(6, 8080, 500)
	for _, c := range []struct {
		expr string
		pkt  []byte
		keep int // the verdict: 0, or snap (the kernel keeps min(snap, length))
	}{
		{"", frame(6, 8081, 0), snap},
		{"", big, snap},
		{"not port 8081", frame(6, 8081, 0), 0},
		{"not port 8081", frame(6, 8080, 0), snap},
		{"not port 8081", big, snap},
		{"tcp port 8081", frame(17, 8081, 0), 0},
		{"tcp port 8081", frame(6, 8081, 0), snap},
		{"host 10.0.0.2 and not udp", frame(6, 1, 0), snap},
		{"host 10.0.0.3", frame(6, 1, 0), 0},
	} {
		prog, err := CompileFilter(c.expr, layers.LinkTypeEthernet, snap)
		if errors.Is(err, ErrFilterUnsupported) {
			if c.expr == "" {
				t.Fatal(err)
			}
			continue // built without cgo
		}
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		if got := runFilter(t, prog, c.pkt); got != c.keep {
			t.Errorf("%q on a %d-byte frame to port %d: keeps %d, want %d", c.expr, len(c.pkt), binary.BigEndian.Uint16(c.pkt[36:]), got, c.keep)
		}
	}
}

func TestCompileFilterErrors(t *testing.T) {
	for _, expr := range []string{"port", "tcp port 99999", "not (", "frobnicate"} {
		if _, err := CompileFilter(expr, layers.LinkTypeEthernet, 65535); err == nil {
			t.Errorf("%q compiled", expr)
		}
	}
}

func TestPrependNotOutgoing(t *testing.T) {
	prog, err := CompileFilter("", layers.LinkTypeEthernet, 100)
	if err != nil {
		t.Fatal(err)
	}
	got, err := prependNotOutgoing(prog)
	if err != nil {
		t.Fatal(err)
	}
	insns, ok := bpf.Disassemble(got)
	if !ok || len(insns) != 4 {
		t.Fatalf("%d instructions: %v", len(insns), insns)
	}
	if insns[0] != (bpf.LoadExtension{Num: bpf.ExtType}) || insns[3] != (bpf.RetConstant{Val: 100}) {
		t.Fatalf("program %v", insns)
	}
}
