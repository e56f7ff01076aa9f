//go:build !cgo

package live

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

func compilePcap(expr string, _ layers.LinkType, _ int) ([]bpf.RawInstruction, error) {
	return nil, fmt.Errorf("capture filter %q: %w", expr, ErrFilterUnsupported)
}
