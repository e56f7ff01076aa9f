package sensor

import (
	"net/netip"
	"testing"
)

// Baseline values from corelight/community-id-spec, baseline/baseline_deflt.json
// (seed 0) and baseline/baseline_seed1.json (seed 1). For ICMP the spec files
// list the port equivalents (type and counterpart type, or type and code).
func TestCommunityIDBaseline(t *testing.T) {
	tests := []struct {
		name         string
		proto        uint8
		saddr, daddr string
		sport, dport uint16
		seed0, seed1 string
	}{
		{"tcp4", 6, "128.232.110.120", "66.35.250.204", 34855, 80,
			"1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"tcp4 reversed", 6, "66.35.250.204", "128.232.110.120", 80, 34855,
			"1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"tcp6", 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
			"1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
		{"tcp6 reversed", 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
			"1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
		{"udp4", 17, "192.168.1.52", "8.8.8.8", 54585, 53,
			"1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
		{"udp4 reversed", 17, "8.8.8.8", "192.168.1.52", 53, 54585,
			"1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
		{"sctp same ports", 132, "192.168.170.8", "192.168.170.56", 7, 7,
			"1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
		{"sctp same ports reversed", 132, "192.168.170.56", "192.168.170.8", 7, 7,
			"1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
		{"icmp4 echo", 1, "192.168.0.89", "192.168.0.1", 8, 0,
			"1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
		{"icmp4 echo reply", 1, "192.168.0.1", "192.168.0.89", 0, 8,
			"1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
		{"icmp4 one-way", 1, "10.0.0.1", "10.0.0.2", 11, 0,
			"1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20="},
		{"icmp6 neighbor solicitation", 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
			"1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		{"icmp6 neighbor advertisement", 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
			"1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		{"icmp6 other direction", 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
			"1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
		{"icmp6 one-way", 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
			"1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
		{"icmp6 echo", 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
			"1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
		{"icmp6 router solicitation", 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134,
			"1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="},
		{"rsvp no ports", 46, "10.1.12.1", "10.1.12.2", 0, 0,
			"1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="},
		{"rsvp no ports reversed", 46, "10.1.12.2", "10.1.12.1", 0, 0,
			"1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := FlowKey{
				SrcIP: netip.MustParseAddr(tt.saddr), DstIP: netip.MustParseAddr(tt.daddr),
				SrcPort: tt.sport, DstPort: tt.dport, Proto: tt.proto,
			}
			if got := CommunityID(k, 0); got != tt.seed0 {
				t.Errorf("seed 0: got %s, want %s", got, tt.seed0)
			}
			if got := CommunityID(k, 1); got != tt.seed1 {
				t.Errorf("seed 1: got %s, want %s", got, tt.seed1)
			}
		})
	}
}

func TestCommunityIDSymmetric(t *testing.T) {
	keys := []FlowKey{
		{SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.1"), SrcPort: 443, DstPort: 5000, Proto: 6},
		{SrcIP: netip.MustParseAddr("::1"), DstIP: netip.MustParseAddr("::2"), SrcPort: 1, DstPort: 1, Proto: 17},
	}
	for _, k := range keys {
		if a, b := CommunityID(k, 0), CommunityID(k.Reverse(), 0); a != b {
			t.Errorf("%v: %s != reverse %s", k, a, b)
		}
	}
}

func BenchmarkCommunityID(b *testing.B) {
	keys := []FlowKey{
		{SrcIP: netip.MustParseAddr("128.232.110.120"), DstIP: netip.MustParseAddr("66.35.250.204"), SrcPort: 34855, DstPort: 80, Proto: 6},
		{SrcIP: netip.MustParseAddr("2001:470:e5bf:dead:4957:2174:e82c:4887"), DstIP: netip.MustParseAddr("2607:f8b0:400c:c03::1a"), SrcPort: 63943, DstPort: 25, Proto: 6},
	}
	for _, k := range keys {
		// Bytes hashed: seed, two addresses, proto, pad, two ports.
		name, hashed := "v4", int64(2+4+4+2+4)
		if k.SrcIP.Is6() {
			name, hashed = "v6", 2+16+16+2+4
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(hashed)
			for b.Loop() {
				_ = CommunityID(k, 0)
			}
		})
	}
}
