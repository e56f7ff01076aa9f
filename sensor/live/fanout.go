package live

import (
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// innerFlowFanout is a classic BPF fanout program (PACKET_FANOUT_CBPF) for
// Ethernet interfaces: it returns a hash of the flow, the same in both
// directions, which the kernel takes modulo the group's size. Unlike the
// kernel's own fanout hash it looks inside VXLAN (UDP 4789) and GENEVE (UDP
// 6081) over IPv4 and hashes the inner IPv4 flow, so the two directions of a
// mirrored connection, which travel in two tunnel flows (the encapsulating
// host picks the outer source port per direction), reach one socket. Other
// IPv4 packets hash their own addresses (and TCP ports), IPv6 packets theirs;
// anything else, and a packet too short for what is read, goes to the first
// socket.
func innerFlowFanout(kernel bool) ([]bpf.RawInstruction, error) {
	// In the kernel the program runs where the fanout decision is taken,
	// before the frame's link header is pushed back for the socket:
	// skb->data points at the link header for sent packets and at the
	// network header for received ones. Loads are therefore relative to
	// the network header (SKF_NET_OFF) and the EtherType is skb->protocol.
	// The interpreter of the tests runs the same program on whole frames.
	l3 := uint32(14)
	ethType := bpf.Instruction(bpf.LoadAbsolute{Off: 12, Size: 2})
	if kernel {
		l3 = skfNetOff
		ethType = bpf.LoadExtension{Num: bpf.ExtProto}
	}
	const (
		base  = 0 // scratch: offset of the IPv4 header being hashed
		addrs = 1 // scratch: hash of the addresses
		tmp   = 2
		proto = 3 // scratch: GENEVE's protocol type
	)
	const ipv4, ipv6, teb = 0x0800, 0x86dd, 0x6558
	var a asm
	a.op(ethType)
	a.jeq(ipv4, "ipv4", "")
	a.jeq(ipv6, "ipv6", "")
	a.op(bpf.RetConstant{Val: 0})

	a.label("ipv4")
	a.op(bpf.LoadAbsolute{Off: l3 + 9, Size: 1})
	a.jeq(17, "", "plain4")
	a.op(bpf.LoadMemShift{Off: l3})              // X = outer IHL
	a.op(bpf.LoadIndirect{Off: l3 + 2, Size: 2}) // UDP destination port
	a.jeq(4789, "vxlan", "")
	a.jeq(6081, "geneve", "plain4")

	// Offsets are from the outer network header. VXLAN: the inner Ethernet
	// frame at X+16, its IPv4 header at X+30.
	a.label("vxlan")
	a.op(bpf.LoadIndirect{Off: l3 + 28, Size: 2})
	a.jeq(ipv4, "", "plain4")
	a.add(30)
	a.jmp("hash4")

	// GENEVE: 4*(byte at X+8 & 0x3f) bytes of options, protocol at X+10,
	// the payload after the options at X+16.
	a.label("geneve")
	a.op(bpf.LoadIndirect{Off: l3 + 10, Size: 2})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: proto})
	a.op(bpf.TXA{})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: tmp})
	a.op(bpf.LoadIndirect{Off: l3 + 8, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x3f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: tmp})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.TAX{}) // X = outer IHL + options
	a.op(bpf.LoadScratch{Dst: bpf.RegA, N: proto})
	a.jeq(teb, "", "geneve_ip")
	a.op(bpf.LoadIndirect{Off: l3 + 28, Size: 2})
	a.jeq(ipv4, "", "plain4")
	a.add(30)
	a.jmp("hash4")
	a.label("geneve_ip")
	a.jeq(ipv4, "", "plain4")
	a.add(16)
	a.jmp("hash4")

	a.label("plain4")
	a.op(bpf.LoadConstant{Dst: bpf.RegX, Val: 0})
	// The IPv4 header at X: addresses, then the ports of TCP.
	a.label("hash4")
	a.op(bpf.StoreScratch{Src: bpf.RegX, N: base})
	a.op(bpf.LoadIndirect{Off: l3 + 12, Size: 4})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: tmp})
	a.op(bpf.LoadIndirect{Off: l3 + 16, Size: 4})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: tmp})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: addrs})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: base})
	a.op(bpf.LoadIndirect{Off: l3 + 9, Size: 1})
	a.jeq(6, "", "addrs")
	a.op(bpf.LoadIndirect{Off: l3 + 0, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.TAX{}) // X = TCP header
	a.op(bpf.LoadIndirect{Off: l3 + 0, Size: 2})
	a.jmp("ports")

	// IPv6: the eight address words, then the ports of TCP.
	a.label("ipv6")
	a.op(bpf.LoadAbsolute{Off: l3 + 8, Size: 4})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: addrs})
	for off := uint32(12); off < 40; off += 4 {
		a.op(bpf.LoadAbsolute{Off: l3 + off, Size: 4})
		a.op(bpf.LoadScratch{Dst: bpf.RegX, N: addrs})
		a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: addrs})
	}
	a.op(bpf.LoadAbsolute{Off: l3 + 6, Size: 1})
	a.jeq(6, "", "addrs")
	a.op(bpf.LoadConstant{Dst: bpf.RegX, Val: 40})
	a.op(bpf.LoadIndirect{Off: l3 + 0, Size: 2})

	// A = source port, X = TCP header: A = source ^ destination ^ addrs.
	a.label("ports")
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: tmp})
	a.op(bpf.LoadIndirect{Off: l3 + 2, Size: 2})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: tmp})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: addrs})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
	a.jmp("mix")

	a.label("addrs")
	a.op(bpf.LoadScratch{Dst: bpf.RegA, N: addrs})

	// Mix the bits (the kernel keeps the remainder by the group's size, and
	// XORs of neighbouring addresses and ports differ in few bits).
	a.label("mix")
	for _, mul := range []uint32{0x45d9f3b, 0x45d9f3b} {
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: tmp})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16})
		a.op(bpf.LoadScratch{Dst: bpf.RegX, N: tmp})
		a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: mul})
	}
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: tmp})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16})
	a.op(bpf.LoadScratch{Dst: bpf.RegX, N: tmp})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpXor})
	a.op(bpf.RetA{})
	return a.assemble()
}

// asm assembles classic BPF with symbolic jump targets.
type asm struct {
	insns  []bpf.Instruction
	labels map[string]int
	jumps  []jump
}

type jump struct {
	at          int
	true, false string // "" is the next instruction
}

func (a *asm) op(i bpf.Instruction) { a.insns = append(a.insns, i) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.insns)
}

// add adds k to X (through A).
func (a *asm) add(k uint32) {
	a.op(bpf.TXA{})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: k})
	a.op(bpf.TAX{})
}

func (a *asm) jeq(v uint32, t, f string) {
	a.jumps = append(a.jumps, jump{at: len(a.insns), true: t, false: f})
	a.op(bpf.JumpIf{Cond: bpf.JumpEqual, Val: v})
}

func (a *asm) jmp(to string) {
	a.jumps = append(a.jumps, jump{at: len(a.insns), true: to})
	a.op(bpf.Jump{})
}

func (a *asm) assemble() ([]bpf.RawInstruction, error) {
	skip := func(from int, to string) (int, error) {
		if to == "" {
			return 0, nil
		}
		at, ok := a.labels[to]
		if !ok || at <= from {
			return 0, fmt.Errorf("bpf label %q: not ahead of %d", to, from)
		}
		return at - from - 1, nil
	}
	for _, j := range a.jumps {
		t, err := skip(j.at, j.true)
		if err != nil {
			return nil, err
		}
		switch i := a.insns[j.at].(type) {
		case bpf.Jump:
			i.Skip = uint32(t)
			a.insns[j.at] = i
		case bpf.JumpIf:
			f, err := skip(j.at, j.false)
			if err != nil {
				return nil, err
			}
			if t > 255 || f > 255 {
				return nil, fmt.Errorf("bpf jump at %d too far", j.at)
			}
			i.SkipTrue, i.SkipFalse = uint8(t), uint8(f)
			a.insns[j.at] = i
		}
	}
	return bpf.Assemble(a.insns)
}

// setFanoutProgram sets the group's fanout program from a socket of its
// own: the program belongs to the group, only a member may set it, and
// gopacket does not expose its sockets. The helper socket receives nothing
// (its filter drops all) and leaves the group when closed, once the
// capturing sockets have joined; the group keeps the program.
func setFanoutProgram(ifindex int, group uint16, prog []bpf.RawInstruction) (closeHelper func(), err error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return nil, fmt.Errorf("fanout helper socket: %w", err)
	}
	fail := func(what string, err error) (func(), error) {
		unix.Close(fd)
		return nil, fmt.Errorf("fanout helper socket: %s: %w", what, err)
	}
	drop, _ := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err := attach(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, drop); err != nil {
		return fail("filter", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	arg := int(group) | (unix.PACKET_FANOUT_CBPF|unix.PACKET_FANOUT_FLAG_DEFRAG)<<16
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
		return fail("join", err)
	}
	if err := attach(fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, prog); err != nil {
		return fail("program", err)
	}
	return func() { unix.Close(fd) }, nil
}

// attach sets a classic BPF program as a socket option.
func attach(fd, level, opt int, prog []bpf.RawInstruction) error {
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	_, _, errno := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&fp)), unsafe.Sizeof(fp), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// skfNetOff is SKF_NET_OFF (-0x100000): loads from it on are relative to
// the network header.
const skfNetOff = 0xfff00000
