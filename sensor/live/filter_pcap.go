//go:build cgo

package live

/*
#cgo LDFLAGS: -lpcap
#include <stdlib.h>
#include <pcap/pcap.h>

// compile wraps pcap_compile on a dead handle: no device is opened, so no
// privilege is needed. The error text is copied into errbuf.
static int compile(int linktype, int snaplen, const char *expr, struct bpf_program *prog, char *errbuf, int errlen) {
	pcap_t *p = pcap_open_dead(linktype, snaplen);
	if (p == NULL) {
		snprintf(errbuf, errlen, "pcap_open_dead failed");
		return -1;
	}
	int rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc != 0) {
		snprintf(errbuf, errlen, "%s", pcap_geterr(p));
	}
	pcap_close(p);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// pcapMu serialises pcap_compile: its parser is not reentrant before
// libpcap 1.8, and compiling is rare.
var pcapMu sync.Mutex

// compilePcap compiles with libpcap itself: the filter language is
// libpcap's, so only libpcap gets every corner of it right (see README).
func compilePcap(expr string, lt layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	var prog C.struct_bpf_program
	var errbuf [256]C.char
	pcapMu.Lock()
	rc := C.compile(C.int(lt), C.int(snaplen), cexpr, &prog, &errbuf[0], C.int(len(errbuf)))
	pcapMu.Unlock()
	if rc != 0 {
		return nil, fmt.Errorf("capture filter %q: %s", expr, C.GoString(&errbuf[0]))
	}
	defer C.pcap_freecode(&prog)
	insns := unsafe.Slice((*C.struct_bpf_insn)(unsafe.Pointer(prog.bf_insns)), int(prog.bf_len))
	out := make([]bpf.RawInstruction, len(insns))
	for i, in := range insns {
		out[i] = bpf.RawInstruction{Op: uint16(in.code), Jt: uint8(in.jt), Jf: uint8(in.jf), K: uint32(in.k)}
	}
	return out, nil
}
