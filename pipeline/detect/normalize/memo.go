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
// bounded (MemoSlots keys of at most MemoMaxKey bytes, a new key replacing
// whatever shared its slot) and not safe for concurrent use: keep one per
// goroutine, e.g. in a sync.Pool. A slot keeps its buffer when a key
// replaces another, so that traffic of values never seen twice, which
// replaces keys all the time, costs no allocation once the slots have
// grown.
type Memo struct {
	seed maphash.Seed
	// hashes holds each slot's key hash, compared before the key: a miss,
	// which fresh values always are, costs no read of the key's buffer.
	hashes [MemoSlots]uint64
	keys   [MemoSlots][]byte
}

const (
	// MemoSlots is the number of keys a Memo holds (a power of two).
	MemoSlots = 2048
	// MemoMaxKey bounds the length of a remembered key; longer keys are
	// neither remembered nor looked up, which bounds a Memo's memory to
	// about MemoSlots*MemoMaxKey bytes.
	MemoMaxKey = 256
)

// NewMemo returns an empty Memo.
func NewMemo() *Memo { return &Memo{seed: maphash.MakeSeed()} }

// Has reports whether key was added and not replaced since. A nil Memo
// remembers nothing.
func (m *Memo) Has(key string) bool {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return false
	}
	h := maphash.String(m.seed, key)
	i := h & (MemoSlots - 1)
	return m.hashes[i] == h && string(m.keys[i]) == key
}

// HasBytes is Has for a key in a byte slice.
func (m *Memo) HasBytes(key []byte) bool {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return false
	}
	h := maphash.Bytes(m.seed, key)
	i := h & (MemoSlots - 1)
	return m.hashes[i] == h && bytes.Equal(m.keys[i], key)
}

// Add remembers key (a copy: the memo keeps no reference to the caller's
// buffers).
func (m *Memo) Add(key string) {
	if m == nil || key == "" || len(key) > MemoMaxKey {
		return
	}
	copy(m.slot(maphash.String(m.seed, key), len(key)), key)
}

// AddBytes is Add for a key in a byte slice.
func (m *Memo) AddBytes(key []byte) {
	if m == nil || len(key) == 0 || len(key) > MemoMaxKey {
		return
	}
	copy(m.slot(maphash.Bytes(m.seed, key), len(key)), key)
}

// slot claims the slot of hash h for a key of n bytes and returns its
// buffer, sized n, to copy the key into; the buffer grows (to a multiple
// of 64 bytes) only when it is too small.
func (m *Memo) slot(h uint64, n int) []byte {
	i := h & (MemoSlots - 1)
	m.hashes[i] = h
	if cap(m.keys[i]) < n {
		m.keys[i] = make([]byte, n, (n+63)&^63)
	}
	m.keys[i] = m.keys[i][:n]
	return m.keys[i]
}
