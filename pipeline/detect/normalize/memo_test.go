package normalize

import (
	"hash/maphash"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestMemo(t *testing.T) {
	m := NewMemo()
	long := strings.Repeat("a", MemoMaxKey+1)
	for _, k := range []string{"application/json", "x", long, ""} {
		if m.Has(k) || m.HasBytes([]byte(k)) {
			t.Errorf("empty memo has %q", k)
		}
	}
	m.Add("application/json")
	m.AddBytes([]byte("hey/0.0.1"))
	m.Add(long)
	m.Add("")
	tests := []struct {
		key  string
		want bool
	}{
		{"application/json", true}, {"hey/0.0.1", true},
		{"application/jso", false}, {"Application/json", false}, {long, false}, {"", false},
	}
	for _, tt := range tests {
		if got := m.Has(tt.key); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.key, got, tt.want)
		}
		if got := m.HasBytes([]byte(tt.key)); got != tt.want {
			t.Errorf("HasBytes(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	// Filling every slot many times over keeps only exact keys.
	for i := range 4 * MemoSlots {
		m.Add(strconv.Itoa(i))
	}
	n := 0
	for i := range 4 * MemoSlots {
		if m.Has(strconv.Itoa(i)) {
			n++
		}
	}
	if n == 0 || n > MemoSlots {
		t.Errorf("%d keys remembered, want 1..%d", n, MemoSlots)
	}
	if m.Has(strconv.Itoa(4 * MemoSlots)) {
		t.Error("memo has a key never added")
	}
	var nilMemo *Memo
	nilMemo.Add("a")
	if nilMemo.Has("a") {
		t.Error("nil memo remembers")
	}
}

func BenchmarkMemoHit(b *testing.B) {
	m := NewMemo()
	key := []byte("header:0:13:authorization:95:Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl")
	m.AddBytes(key)
	b.ReportAllocs()
	b.SetBytes(int64(len(key)))
	for b.Loop() {
		if !m.HasBytes(key) {
			b.Fatal("miss")
		}
	}
}

// TestMemoAddNoAlloc checks that remembering keys costs no allocation.
func TestMemoAddNoAlloc(t *testing.T) {
	m := NewMemo()
	keys := make([]string, 8*MemoSlots)
	for i := range keys {
		keys[i] = "query:1:1:q:" + strconv.Itoa(i*7919)
	}
	for _, k := range keys {
		m.Add(k)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		m.Add(keys[i%len(keys)])
		i++
	})
	if allocs != 0 {
		t.Errorf("Add allocates %.1f times per key", allocs)
	}
	if !m.Has(keys[(i-1)%len(keys)]) {
		t.Error("the last key added is not remembered")
	}
}

// TestMemoKeepsWhatRepeats checks the replacement: a key found again
// survives a stream of fresh keys many times the memo's size (the user
// agent among searches), and keys that stop coming back age out.
func TestMemoKeepsWhatRepeats(t *testing.T) {
	hot := []string{"user-agent:python-requests/2.31.0", "accept:application/json", "path:0:api"}
	// Two hot keys of one set would push each other out (a set protects
	// one key): the test draws seeds until the keys are apart, which the
	// first seed almost always is.
	var m *Memo
	for try := 0; m == nil; try++ {
		if try == 100 {
			t.Fatal("no seed puts the hot keys in sets of their own")
		}
		m = NewMemo()
		sets := map[uint64]bool{}
		for _, k := range hot {
			set := maphash.String(m.seed, k) & (MemoSlots - 2)
			if sets[set] {
				m = nil
				break
			}
			sets[set] = true
		}
	}
	for _, k := range hot {
		m.Add(k)
		if !m.Has(k) {
			t.Fatalf("%q not remembered", k)
		}
	}
	for i := range 64 * MemoSlots {
		m.Add("q:" + strconv.Itoa(i))
		if i%100 == 0 {
			for _, k := range hot {
				if !m.Has(k) {
					t.Fatalf("%q lost after %d fresh keys", k, i)
				}
			}
		}
	}
	// The hot keys no longer asked for: two more rounds of fresh keys
	// through every set take them out.
	for i := range 8 * MemoSlots {
		m.Add("r:" + strconv.Itoa(i))
		m.Has("r:" + strconv.Itoa(i)) // each fresh key found once: marked
	}
	for _, k := range hot {
		if m.Has(k) {
			t.Errorf("%q still remembered after it stopped coming back", k)
		}
	}
}

// TestMemoLookupInsert checks that a key inserted with the hash Lookup
// gave is found as Add would leave it.
func TestMemoLookupInsert(t *testing.T) {
	m := NewMemo()
	found, h := m.Lookup("query:q:blue shoes")
	if found {
		t.Fatal("empty memo finds a key")
	}
	m.Insert(h)
	if !m.Has("query:q:blue shoes") || !m.HasBytes([]byte("query:q:blue shoes")) {
		t.Error("inserted key not found")
	}
	found, h = m.LookupBytes([]byte("header:ua:curl/8.5.0"))
	if found {
		t.Fatal("memo finds a key never added")
	}
	m.Insert(h)
	if found, _ := m.Lookup("header:ua:curl/8.5.0"); !found {
		t.Error("inserted key not found")
	}
}

// TestMemoFingerprint checks that keys differing in one byte anywhere,
// or in length only, are told apart.
func TestMemoFingerprint(t *testing.T) {
	m := NewMemo()
	base := "header:user-agent:Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
	m.Add(base)
	for i := range len(base) {
		b := []byte(base)
		b[i] ^= 1
		if m.HasBytes(b) {
			t.Errorf("key with byte %d changed found", i)
		}
	}
	for _, k := range []string{base[:len(base)-1], base + " ", "q:a", "q:ab"} {
		if m.Has(k) {
			t.Errorf("%q found", k)
		}
	}
	m.Add("q:a")
	if m.Has("q:ab") || !m.Has("q:a") {
		t.Error("short keys not told apart by length")
	}
}

// Has, HasBytes, Add and AddBytes are Lookup and Insert for the tests.
func (m *Memo) Has(key string) bool {
	found, _ := m.Lookup(key)
	return found
}

func (m *Memo) HasBytes(key []byte) bool {
	found, _ := m.LookupBytes(key)
	return found
}

func (m *Memo) Add(key string) {
	if found, f := m.Lookup(key); !found {
		m.Insert(f)
	}
}

func (m *Memo) AddBytes(key []byte) {
	if found, f := m.LookupBytes(key); !found {
		m.Insert(f)
	}
}

// TestMemoSetsInOneLine checks that a set of two slots starts at a
// multiple of its size in a Memo, so that no set straddles two cache lines
// of an aligned allocation.
func TestMemoSetsInOneLine(t *testing.T) {
	m := NewMemo()
	set := unsafe.Sizeof(m.slots[0]) * 2
	if off := unsafe.Offsetof(m.slots); off%set != 0 || 64%set != 0 {
		t.Errorf("slots at offset %d, sets of %d bytes", off, set)
	}
	if p := uintptr(unsafe.Pointer(&m.slots[0])); p%64 != 0 {
		t.Errorf("slots at %#x, not on a cache line", p)
	}
}
