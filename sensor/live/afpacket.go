package live

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/apisensor/sensor/sensor"
)

// packetSource is one TPACKET_V3 socket of an interface's fanout group.
type packetSource struct {
	tp     *afpacket.TPacket
	name   string // counter suffix: iface.socket
	iface  string
	lt     layers.LinkType
	dec    *sensor.FrameDecoder
	counts sensor.Counts // the frame decoder's
	kernel sensor.Counts // the socket's, from the kernel
	stats  sensor.FileStats
	// taken counts the frames read from the ring, those discarded too,
	// modulo 2^32 like the kernel's counters it is compared with.
	taken uint32
	// start is when the filter was in place: packets the kernel stamped
	// before it may have entered the ring unfiltered (gopacket binds the
	// socket before a filter can be attached) and are discarded.
	start time.Time
}

// linkTypeOf returns what an interface's frames start with, whether it is
// a loopback, and its index.
func linkTypeOf(iface string) (lt layers.LinkType, loopback bool, index int, err error) {
	hw, index, err := hwType(iface)
	if err != nil {
		return 0, false, 0, err
	}
	switch hw {
	case arphrdEther, arphrdLoopback:
		return layers.LinkTypeEthernet, hw == arphrdLoopback, index, nil
	case arphrdNone, arphrdTunnel, arphrdTunnel6, arphrdSit, arphrdIPGRE, arphrdIP6GRE:
		return layers.LinkTypeRaw, false, index, nil
	}
	return 0, false, 0, fmt.Errorf("%w %s: hardware type %d is not supported (Ethernet or raw IP)", ErrInterface, iface, hw)
}

// openPacket opens socket number sock of iface and joins it to the fanout
// group with type fanout (mode and flags), or to no group when fanout < 0.
func openPacket(cfg *Config, iface string, sock int, lt layers.LinkType, loopback bool, group uint16, fanout int) (*packetSource, error) {
	prog, err := CompileFilter(cfg.Filter, lt, cfg.SnapLen)
	if err != nil {
		return nil, err
	}
	if loopback {
		// On loopback every packet passes twice, sent and received:
		// keep the received copy only, as libpcap does.
		prog, err = prependNotOutgoing(prog)
		if err != nil {
			return nil, err
		}
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(iface),
		afpacket.TPacketVersion3,
		afpacket.OptFrameSize(cfg.FrameBytes),
		afpacket.OptBlockSize(cfg.BlockBytes),
		afpacket.OptNumBlocks(cfg.Blocks),
		afpacket.OptBlockTimeout(cfg.PollTimeout),
		afpacket.OptPollTimeout(cfg.PollTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("af_packet socket on %s: %w", iface, err)
	}
	s := &packetSource{tp: tp, iface: iface, lt: lt, name: iface + "." + strconv.Itoa(sock), counts: sensor.Counts{}}
	s.dec = sensor.NewFrameDecoder(s.counts)
	if err := tp.SetBPF(prog); err != nil {
		tp.Close()
		return nil, fmt.Errorf("attach filter on %s: %w", iface, err)
	}
	s.start = time.Now()
	if fanout >= 0 {
		if err := tp.SetFanout(afpacket.FanoutType(fanout), group); err != nil {
			tp.Close()
			return nil, fmt.Errorf("join fanout group %d on %s: %w", group, iface, err)
		}
	}
	if cfg.Promiscuous {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, fmt.Errorf("promiscuous mode on %s: %w", iface, err)
		}
	}
	return s, nil
}

// prependNotOutgoing makes prog reject packets the host sent.
func prependNotOutgoing(prog []bpf.RawInstruction) ([]bpf.RawInstruction, error) {
	head, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 4, SkipTrue: 1}, // PACKET_OUTGOING
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("assemble loopback filter: %w", err)
	}
	return append(head, prog...), nil
}

func (s *packetSource) Name() string { return s.iface }

func (s *packetSource) Next(p *sensor.Packet) error {
	for {
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				return ErrTimeout
			}
			return fmt.Errorf("read %s: %w", s.name, err)
		}
		s.taken++
		if ci.Timestamp.Before(s.start) {
			s.counts.Inc(CountBeforeStart)
			continue
		}
		s.stats.Packets++
		s.stats.Bytes += uint64(len(data))
		*p = sensor.Packet{Frame: s.stats.Packets, Time: ci.Timestamp, Source: s.iface}
		for _, a := range ci.AncillaryData {
			// The kernel took the outer 802.1Q tag out of the frame.
			if v, ok := a.(afpacket.AncillaryVLAN); ok {
				p.VLAN[0], p.NVLAN = uint16(v.VLAN), 1
			}
		}
		if s.dec.Decode(s.lt, data, p) {
			return nil
		}
	}
}

// Queued compares the packets the kernel has put in the ring with those
// read: the frames of a block the kernel is still filling are not readable
// until the block's retire timer fires.
func (s *packetSource) Queued() int {
	if s.tp == nil {
		return 0
	}
	_, st, err := s.tp.SocketStats()
	if err != nil {
		return 0
	}
	// The kernel counts the packets it dropped among those it received.
	n := int32(uint32(st.Packets()) - uint32(st.Drops()) - s.taken)
	return int(max(n, 0))
}

func (s *packetSource) Counters(c sensor.Counts) {
	c.Merge(s.counts)
	s.readKernel()
	c.Merge(s.kernel)
}

// readKernel refreshes the kernel's counters of the socket (gopacket keeps
// the running totals: reading them resets the kernel's).
func (s *packetSource) readKernel() {
	if s.tp == nil {
		return
	}
	_, st, err := s.tp.SocketStats()
	if err != nil {
		return
	}
	s.kernel = sensor.Counts{}
	for _, k := range [...]struct {
		name string
		v    uint
	}{{CountKernelPackets, st.Packets()}, {CountKernelDrops, st.Drops()}, {CountKernelFreezes, st.QueueFreezes()}} {
		s.kernel.Add(k.name, uint64(k.v))
		s.kernel.Add(k.name+"."+s.name, uint64(k.v))
	}
}

func (s *packetSource) Stats() sensor.FileStats { return s.stats }

// Close reads the kernel's counters a last time, for Counters.
func (s *packetSource) Close() error {
	if s.tp == nil {
		return nil
	}
	s.readKernel()
	s.tp.Close()
	s.tp = nil
	return nil
}
