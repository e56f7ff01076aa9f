package normalize

import (
	"bytes"
	"hash/maphash"
)

// Memo remembers keys a detector checked and found nothing in, so that a
// value seen again costs a hash and a compare instead of the checks. API
// traffic repeats itself: the same headers, path segments, tokens and
// enum values come back on every request of a client, and these are most
// of what a detector sees.
//
// Only "nothing found" is remembered, and only for the exact key (the
// whole key is kept and compared, not its hash), so a Memo changes no
// verdict: the caller puts in the key everything its checks read. It is
// bounded (MemoSlots keys of at most MemoMaxKey bytes) and not safe for
// concurrent use: keep one per goroutine, e.g. in a sync.Pool. A slot
// keeps its buffer when a key replaces another, so that traffic of values
// never seen twice, which replaces keys all the time, costs no allocation
// once the slots have grown.
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
	seed maphash.Seed
	// hashes holds each slot's key hash, compared before the key: a miss,
	// which fresh values always are, costs no read of the key's buffer.
	hashes [MemoSlots]uint64
	keys   [MemoSlots][]byte
	// sets holds each set's state: which slot's key was found again
	// (setHot0, setHot1) and which slot was filled last (setNewer1).
	sets [MemoSlots / 2]uint8
}

const (
	// MemoSlots is the number of keys a Memo holds (a power of two).
	MemoSlots = 4096
	// MemoMaxKey bounds the length of a remembered key; longer keys are
	// neither remembered nor looked up, which bounds a Memo's memory to
	// about MemoSlots*MemoMaxKey bytes.
	MemoMaxKey = 256
)

// Set states.
const (
	setHot0 uint8 = 1 << iota
	setHot1
	setNewer1
)

// NewMemo returns an empty Memo.
func NewMemo() *Memo { return &Memo{seed: maphash.MakeSeed()} }

// Has reports whether key was added and not replaced since. A nil Memo
// remembers nothing.
func (m *Memo) Has(key string) bool {
	found, _ := m.Lookup(key)
	return found
}

// HasBytes is Has for a key in a byte slice.
func (m *Memo) HasBytes(key []byte) bool {
	found, _ := m.LookupBytes(key)
	return found
}

// Lookup is Has, and returns the key's hash for Insert: a key found
// missing and then remembered is hashed once.
func (m *Memo) Lookup(key string) (found bool, h uint64) {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return false, 0
	}
	h = maphash.String(m.seed, key)
	i := h & (MemoSlots - 2)
	switch {
	case m.hashes[i] == h && string(m.keys[i]) == key:
	case m.hashes[i+1] == h && string(m.keys[i+1]) == key:
		i++
	default:
		return false, h
	}
	m.sets[i/2] |= setHot0 << (i & 1)
	return true, h
}

// LookupBytes is Lookup for a key in a byte slice.
func (m *Memo) LookupBytes(key []byte) (found bool, h uint64) {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return false, 0
	}
	h = maphash.Bytes(m.seed, key)
	i := h & (MemoSlots - 2)
	switch {
	case m.hashes[i] == h && bytes.Equal(m.keys[i], key):
	case m.hashes[i+1] == h && bytes.Equal(m.keys[i+1], key):
		i++
	default:
		return false, h
	}
	m.sets[i/2] |= setHot0 << (i & 1)
	return true, h
}

// Add remembers key (a copy: the memo keeps no reference to the caller's
// buffers). The caller has just found key missing.
func (m *Memo) Add(key string) {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return
	}
	m.Insert(maphash.String(m.seed, key), key)
}

// AddBytes is Add for a key in a byte slice.
func (m *Memo) AddBytes(key []byte) {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return
	}
	m.InsertBytes(maphash.Bytes(m.seed, key), key)
}

// Insert is Add for a key whose hash h Lookup returned.
func (m *Memo) Insert(h uint64, key string) {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return
	}
	copy(m.slot(h, len(key)), key)
}

// InsertBytes is Insert for a key in a byte slice.
func (m *Memo) InsertBytes(h uint64, key []byte) {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return
	}
	copy(m.slot(h, len(key)), key)
}

// slot claims a slot of hash h's set for a key of n bytes and returns its
// buffer, sized n, to copy the key into; the buffer grows (to a multiple
// of 64 bytes) only when it is too small.
func (m *Memo) slot(h uint64, n int) []byte {
	set := h & (MemoSlots - 2)
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
	m.hashes[i] = h
	if cap(m.keys[i]) < n {
		m.keys[i] = make([]byte, n, (n+63)&^63)
	}
	m.keys[i] = m.keys[i][:n]
	return m.keys[i]
}
