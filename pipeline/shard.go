package pipeline

import (
	"encoding/binary"
	"net/netip"

	"github.com/apisensor/sensor/sensor"
)

// shardOf maps a packet to one of n workers by a symmetric hash of its
// addresses and ports, so both directions of a connection meet on the same
// worker. XOR makes the hash symmetric; the multiply-shift finaliser spreads
// the bits.
func shardOf(p *sensor.Packet, n int) int {
	if n == 1 {
		return 0
	}
	h := addrHash(p.Src) ^ addrHash(p.Dst)
	if len(p.L4) >= 4 {
		h ^= uint64(binary.BigEndian.Uint16(p.L4[0:2])) ^ uint64(binary.BigEndian.Uint16(p.L4[2:4]))
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return int(h % uint64(n))
}

func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	return binary.LittleEndian.Uint64(b[0:8])*31 + binary.LittleEndian.Uint64(b[8:16])
}
