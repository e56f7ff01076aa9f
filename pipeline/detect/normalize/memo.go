package normalize

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// Memo remembers keys a detector checked and found nothing in, so that a
// value seen again costs a hash and a compare instead of the checks. API
// traffic repeats itself: the same headers, path segments, tokens and
// enum values come back on every request of a client, and these are most
// of what a detector sees.
//
// Only "nothing found" is remembered, so that a Memo changes no verdict:
// the caller puts in the key everything its checks read. A slot holds a
// key's fingerprint, not the key: its 64-bit hash under a seed drawn per
// memo and a 64-bit check word made of its length and its first and last
// eight bytes. Two keys are taken for one only when they agree in both
// words, which for keys that differ happens about once in 2^64 lookups or
// less; a sender cannot aim at it, as it never sees the seed nor learns
// whether a value was checked (the sensor is passive). Keeping 16-byte
// fingerprints, not keys, keeps the whole memo in 64 KB of contiguous
// slots and a lookup in one cache line: with key buffers scattered on the
// heap, comparing a found key missed the cache on every hit and cost a
// third of the lookups' time in the pipeline, and slots twice the size
// made the lookups miss the cache twice as often once the decoders around
// them had been through it.
//
// It is bounded (MemoSlots keys; longer than MemoMaxKey bytes are not
// remembered) and not safe for concurrent use: keep one per goroutine,
// e.g. in a sync.Pool.
//
// Replacement protects what repeats. The slots go in sets of two; a key
// found again is marked, and a new key replaces an unmarked one of its
// set (the older when both are). On traffic of fresh values (searches,
// notes, ids), which would otherwise push every key out within a few
// thousand parameters, the user agents and header values that come back
// stay: a direct-mapped memo of the same size lost a repeated value
// between two of its requests often enough to check the same user agent
// hundreds of times a second. Both marked: the marks are cleared and the
// older key goes, so a value that stopped coming back ages out.
type Memo struct {
	// slots comes first, so that a set (two 16-byte slots) never
	// straddles two cache lines: an allocation this size is aligned.
	slots [MemoSlots]Fingerprint
	// sets holds each set's state: which slot's key was found again
	// (setHot0, setHot1) and which slot was filled last (setNewer1).
	sets [MemoSlots / 2]uint8
	seed maphash.Seed
}

const (
	// MemoSlots is the number of keys a Memo holds (a power of two).
	MemoSlots = 4096
	// MemoMaxKey bounds the length of a remembered key; longer keys are
	// neither remembered nor looked up. Hashing a kilobyte costs well
	// under what the checks cost on it, and bearer tokens, JWTs and
	// session cookies (300-900 bytes) repeat on every request of a
	// client: with 256, every request's Authorization header was checked
	// afresh.
	MemoMaxKey = 1024
)

// Set states.
const (
	setHot0 uint8 = 1 << iota
	setHot1
	setNewer1
)

// NewMemo returns an empty Memo.
func NewMemo() *Memo { return &Memo{seed: maphash.MakeSeed()} }

// Lookup reports whether key was remembered and not replaced since, and
// returns its fingerprint for Insert: a key found missing and then
// remembered is hashed once. A nil Memo remembers nothing; a key that is
// empty or longer than MemoMaxKey is never found and its fingerprint is
// never remembered.
func (m *Memo) Lookup(key string) (found bool, f Fingerprint) {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return false, Fingerprint{}
	}
	f = fingerprint(maphash.String(m.seed, key), key)
	return m.find(f), f
}

// LookupBytes is Lookup for a key in a byte slice.
func (m *Memo) LookupBytes(key []byte) (found bool, f Fingerprint) {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return false, Fingerprint{}
	}
	f = fingerprint(maphash.Bytes(m.seed, key), key)
	return m.find(f), f
}

// Fingerprint is what a Memo keeps of a key: its hash under the memo's
// seed, and a check word of its length and its first and last 8 bytes
// (zero-padded) whose low bit is always set. The zero Fingerprint, which
// no key has, is an empty slot, and what Lookup returns for a key it does
// not take.
type Fingerprint struct {
	hash, check uint64
}

func fingerprint[S ~string | ~[]byte](h uint64, key S) Fingerprint {
	var head, tail uint64
	if len(key) >= 8 {
		head, tail = le64(key), le64(key[len(key)-8:])
	} else {
		var b [8]byte
		copy(b[:], key)
		head = binary.LittleEndian.Uint64(b[:])
		tail = head
	}
	// The multiply spreads the tail over the word before the head and the
	// length go in, so that no byte of one cancels a byte of the other.
	return Fingerprint{hash: h, check: (head ^ bits.RotateLeft64(tail*0x9e3779b97f4a7c15, 32) ^ uint64(len(key))<<56) | 1}
}

// le64 reads the first 8 bytes of s, little-endian (one load: the
// compiler merges the byte loads).
func le64[S ~string | ~[]byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func (m *Memo) find(f Fingerprint) bool {
	i := f.hash & (MemoSlots - 2)
	switch f {
	case m.slots[i]:
	case m.slots[i+1]:
		i++
	default:
		return false
	}
	m.sets[i/2] |= setHot0 << (i & 1)
	return true
}

// Insert remembers the key whose fingerprint Lookup returned (missing).
func (m *Memo) Insert(f Fingerprint) {
	if m == nil || f == (Fingerprint{}) {
		return
	}
	set := f.hash & (MemoSlots - 2)
	st := m.sets[set/2]
	// The victim: the unmarked slot, or the older one when both or
	// neither are marked (and then no mark stays).
	older := uint64(1)
	if st&setNewer1 != 0 {
		older = 0
	}
	var i uint64
	switch st & (setHot0 | setHot1) {
	case setHot0:
		i = set + 1
	case setHot1:
		i = set
	default:
		i = set + older
		st &^= setHot0 | setHot1
	}
	st &^= setHot0 << (i & 1)
	if i&1 == 1 {
		st |= setNewer1
	} else {
		st &^= setNewer1
	}
	m.sets[set/2] = st
	m.slots[i] = f
}
