package literals

// Words is a set of words looked up many times a value, mostly for words
// it does not hold (the words of prose checked against SQL keywords). A
// table of (length, first byte, last byte) turns most of those away before
// the map hashes them. Read-only once built; safe for concurrent use.
type Words struct {
	// shape has bit last&31 of entry [min(len, 31)][first&31] set when
	// a word of that length starts and ends so. Case does not matter to
	// it: a letter's low five bits are the same in either case.
	shape [32][32]uint32
	set   map[string]struct{}
}

// NewWords returns the set of words, as given (lookups are exact).
func NewWords(words []string) *Words {
	w := &Words{set: make(map[string]struct{}, len(words))}
	for _, s := range words {
		if s == "" {
			continue
		}
		w.set[s] = struct{}{}
		w.shape[min(len(s), 31)][s[0]&31] |= 1 << (s[len(s)-1] & 31)
	}
	return w
}

// Has reports whether word is in the set.
func Has[S ~string | ~[]byte](w *Words, word S) bool {
	if !mayHold(w, word) {
		return false
	}
	_, ok := w.set[string(word)]
	return ok
}

// mayHold reports whether the set holds a word of word's length and ends,
// in either case.
func mayHold[S ~string | ~[]byte](w *Words, word S) bool {
	return len(word) > 0 && w.shape[min(len(word), 31)][word[0]&31]&(1<<(word[len(word)-1]&31)) != 0
}

// HasUpper reports whether word, its ASCII letters upper-cased, is in the
// set: the lookup of a keyword table kept in upper case, whatever the case
// of the text. The length-and-ends table turns most words away before any
// is upper-cased; a word over 32 bytes is none.
func HasUpper(w *Words, word string) bool {
	if len(word) > 32 || !mayHold(w, word) {
		return false
	}
	var buf [32]byte
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := w.set[string(buf[:len(word)])]
	return ok
}

// NewWordsOf returns the set of the keys of the maps: the keyword tables
// the detectors keep as maps.
func NewWordsOf[V any](maps ...map[string]V) *Words {
	var words []string
	for _, m := range maps {
		for w := range m {
			words = append(words, w)
		}
	}
	return NewWords(words)
}
