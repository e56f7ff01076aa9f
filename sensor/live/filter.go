package live

import (
	"errors"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// ErrFilterUnsupported is returned for a capture filter in a build without
// libpcap (CGO_ENABLED=0).
var ErrFilterUnsupported = errors.New("capture filters need a build with cgo and libpcap")

// CompileFilter compiles a tcpdump-syntax filter for frames of link type lt
// into a classic BPF program whose accepting return value is snaplen, so the
// program also truncates what it keeps. An empty expression gives a
// one-instruction program that keeps snaplen bytes of every packet.
func CompileFilter(expr string, lt layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	if expr == "" {
		return bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: uint32(snaplen)}})
	}
	return compilePcap(expr, lt, snaplen)
}
