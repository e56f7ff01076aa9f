package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/apisensor/sensor/sensor"
)

// Errors of the capture sources.
var (
	// ErrTimeout is returned by Source.Next when no packet arrived within
	// the poll timeout: the caller may tick its clocks and check for
	// shutdown, then call Next again.
	ErrTimeout = errors.New("capture: poll timeout")
	// ErrInterface is returned for an interface that cannot be captured on.
	ErrInterface = errors.New("capture interface")
)

// Source is one capture socket: an AF_PACKET socket of a fanout group, or a
// UDP socket of a mirror target. A Source is used by one goroutine, which
// calls Next until it stops and then Close; nothing may be called after
// Close. Counters may be called between Next calls and after Close.
type Source interface {
	// Name names the source in counters and alerts ("eth0", "udp:0.0.0.0:4789").
	Name() string
	// Next fills p with the next TCP packet (after decapsulation). p.L4 is
	// valid until the next call. It returns ErrTimeout when no packet came
	// within the poll timeout; any other error is final.
	Next(p *sensor.Packet) error
	// Queued returns how many packets the kernel has queued for the source
	// that Next has not yet taken, 0 when it cannot tell. A poll timeout
	// does not mean there are none: a TPACKET_V3 ring hands over a block
	// that is not full only when the kernel's retire timer fires, which
	// may be after the poll timeout.
	Queued() int
	// Counters adds the source's counters to c: the frame decoder's counts
	// and the kernel's (packets, drops) under capture.* names.
	Counters(c sensor.Counts)
	// Stats returns the frames and bytes received so far.
	Stats() sensor.FileStats
	// Close releases the socket (and promiscuous mode with it).
	Close() error
}

// Counter names of capture. Per-socket variants append ".<source>".
const (
	CountKernelPackets = "capture.kernel_packets" // packets the kernel handed to the socket (incl. dropped)
	CountKernelDrops   = "capture.kernel_drops"   // packets lost because the ring was full
	CountKernelFreezes = "capture.kernel_freezes" // TPACKET_V3 queue freezes (ring full events)
	CountBeforeStart   = "capture.before_filter"  // packets that reached the ring before the filter was attached: discarded
	CountUDPDatagrams  = "capture.udp_datagrams"
	CountUDPTruncated  = "capture.udp_truncated" // datagrams larger than the read buffer
	CountUDPDrops      = "capture.udp_drops"     // datagrams the kernel dropped: socket buffer full (SO_RXQ_OVFL)
	CountUDPRcvBuf     = "capture.udp_rcvbuf_bytes"
)

// Open opens every source of cfg: Sockets AF_PACKET sockets per interface
// (workers when Sockets is 0), one UDP socket per ListenUDP entry. On error
// the sources opened so far are closed.
func Open(cfg *Config, workers int) ([]Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, fmt.Errorf("%w: no interface and no UDP address to capture on", ErrConfig)
	}
	n := cfg.Sockets
	if n == 0 {
		n = max(workers, 1)
	}
	var srcs []Source
	fail := func(err error) ([]Source, error) {
		for _, s := range srcs {
			s.Close()
		}
		return nil, err
	}
	base := cfg.FanoutGroup
	if base == 0 {
		// Distinct per process, so two sensors never share a group.
		base = uint16(os.Getpid())
	}
	mode, _ := fanoutType(cfg.FanoutMode)
	for i, iface := range cfg.Interfaces {
		group := base + uint16(i)
		lt, loopback, index, err := linkTypeOf(iface)
		if err != nil {
			return fail(err)
		}
		// One socket needs no group. The defrag flag makes the kernel
		// reassemble IPv4 fragments before the fanout decision, so all
		// fragments of a datagram reach one socket.
		fanout := -1
		var closeHelper func()
		if n > 1 {
			m := mode
			if m == fanoutCBPF && lt != layers.LinkTypeEthernet {
				m = fanoutHash // the program reads Ethernet frames
			}
			if m == fanoutCBPF {
				prog, err := innerFlowFanout(true)
				if err != nil {
					return fail(err)
				}
				if closeHelper, err = setFanoutProgram(index, group, prog); err != nil {
					return fail(err)
				}
			}
			fanout = m | fanoutFlagDefrag
		}
		first := len(srcs)
		for j := range n {
			s, err := openPacket(cfg, iface, j, lt, loopback, group, fanout)
			if err != nil {
				if closeHelper != nil {
					closeHelper()
				}
				return fail(err)
			}
			srcs = append(srcs, s)
		}
		if closeHelper != nil {
			// The helper took a share of the packets while the sockets
			// joined, and dropped them: the capture starts now.
			closeHelper()
			now := time.Now()
			for _, s := range srcs[first:] {
				s.(*packetSource).start = now
			}
		}
	}
	for _, a := range cfg.ListenUDP {
		l, err := ParseListenUDP(a)
		if err != nil {
			return fail(err)
		}
		s, err := openUDP(cfg, l)
		if err != nil {
			return fail(err)
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// ARPHRD_* hardware types (linux/if_arp.h) of interfaces captured on.
const (
	arphrdEther    = 1
	arphrdLoopback = 772
	arphrdNone     = 0xfffe // tun, wireguard: raw IP
	arphrdTunnel   = 768    // ipip
	arphrdTunnel6  = 769
	arphrdSit      = 776
	arphrdIPGRE    = 778
	arphrdIP6GRE   = 823
)

// hwType returns an interface's hardware type (ARPHRD_*) from a netlink
// dump of the links. Netlink answers for the network namespace of the
// calling thread, where sysfs would answer for the namespace it was
// mounted in.
func hwType(iface string) (hw, index int, err error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return 0, 0, fmt.Errorf("%w %s: %w", ErrInterface, iface, err)
	}
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return 0, 0, fmt.Errorf("%w %s: netlink: %w", ErrInterface, iface, err)
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return 0, 0, fmt.Errorf("%w %s: netlink: %w", ErrInterface, iface, err)
	}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWLINK || len(m.Data) < syscall.SizeofIfInfomsg {
			continue
		}
		// struct ifinfomsg: family, pad, type (u16), index (s32), …
		if int(int32(binary.NativeEndian.Uint32(m.Data[4:8]))) == ifi.Index {
			return int(binary.NativeEndian.Uint16(m.Data[2:4])), ifi.Index, nil
		}
	}
	return 0, 0, fmt.Errorf("%w %s: not in the netlink link dump", ErrInterface, iface)
}
