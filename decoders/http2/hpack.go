package http2

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// HPACK (RFC 7541) is decoded here rather than with hpack.Decoder because a
// passive observer may join a connection after entries were added to the
// dynamic tables: hpack.Decoder fails the whole block on an index it does
// not know, while this decoder marks the field and goes on, and still learns
// the entries that are added from then on.

// Errors that end the decoding of a header block. What was decoded before
// them is kept; the table may now differ from the peer's (stale).
var (
	errTruncated   = errors.New("hpack: truncated header block")
	errIntOverflow = errors.New("hpack: integer overflow")
	errHuffman     = errors.New("hpack: invalid huffman string")
	// errCut ends a string literal that runs past the end of a block that
	// was cut at a bound: what arrived of it was returned.
	errCut = errors.New("hpack: string cut with its block")
)

// unknownPrefix starts the name of a header field whose name refers to a
// dynamic table entry this decoder never saw.
const unknownPrefix = "<unknown-index:"

// hfield is one decoded header field.
type hfield struct {
	name, value string
	// unknown is set when the field referred to a dynamic table entry that
	// was not seen (its name, and for an indexed field its value, are
	// placeholders).
	unknown bool
}

func (f hfield) size() int { return len(f.name) + len(f.value) + 32 }

// blockStats tells what was irregular in one header block, besides a fatal
// error.
type blockStats struct {
	unknown    int  // fields referring to unseen dynamic entries
	badIndex   int  // indexes past a table known to be complete, or 0
	sizeUpdate bool // a table size update above the receiver's setting, or after a field
	dropped    int  // fields decoded but not kept (list bounds)
	cut        int  // fields kept with their value cut (list bounds, or a cut block)
}

// hpackDecoder holds the dynamic table of one direction.
type hpackDecoder struct {
	ents []hfield // oldest first: dynamic index 62 is the last one
	size int      // RFC 7541 §4.1 size of ents
	max  int      // maximum size in force (last size update, bounded)
	// allowed is the receiver's SETTINGS_HEADER_TABLE_SIZE: the bound for
	// size updates.
	allowed int
	// limit bounds the table whatever the peers say (HPACK bomb).
	limit int
	// stale is set when entries may have been added that this decoder did
	// not see (connection joined mid-stream, a gap, a skipped block): an
	// index past the known entries is then unknown rather than invalid.
	stale bool
}

func newHPACK(limit int, stale bool) hpackDecoder {
	return hpackDecoder{max: min(4096, limit), allowed: 4096, limit: limit, stale: stale}
}

// setMax applies a table size update.
func (d *hpackDecoder) setMax(n int) {
	d.max = min(n, d.limit)
	d.evict(0)
	if len(d.ents) == 0 && d.max < 32 {
		// Nothing older can be left in the peer's table either.
		d.stale = false
	}
}

// evict drops the oldest entries until n more bytes fit.
func (d *hpackDecoder) evict(n int) {
	i := 0
	for d.size+n > d.max && i < len(d.ents) {
		d.size -= d.ents[i].size()
		d.ents[i] = hfield{}
		i++
	}
	d.ents = d.ents[i:]
}

func (d *hpackDecoder) add(f hfield) {
	if f.size() > d.max {
		// RFC 7541 §4.4: an entry larger than the table empties it.
		clear(d.ents)
		d.ents, d.size = d.ents[:0], 0
		return
	}
	d.evict(f.size())
	if len(d.ents) == cap(d.ents) && len(d.ents) > 0 {
		// evict reslices from the front: copy down so the backing array
		// does not only grow.
		d.ents = append(make([]hfield, 0, 2*len(d.ents)), d.ents...)
	}
	d.ents = append(d.ents, f)
	d.size += f.size()
}

// lookup returns the field at index i (1-based, static then dynamic).
// An entry that is not known comes back as a placeholder marked unknown.
func (d *hpackDecoder) lookup(i uint64, st *blockStats) hfield {
	switch {
	case i == 0:
		st.badIndex++
		return hfield{name: unknownPrefix + "0>", unknown: true}
	case i <= uint64(len(staticTable)):
		return staticTable[i-1]
	}
	j := i - uint64(len(staticTable)) - 1
	if j < uint64(len(d.ents)) {
		f := d.ents[uint64(len(d.ents))-1-j]
		if f.unknown {
			// Added with a name this decoder never saw.
			st.unknown++
		}
		return f
	}
	if d.stale {
		st.unknown++
	} else {
		st.badIndex++
	}
	return hfield{name: unknownPrefix + strconv.FormatUint(i, 10) + ">", unknown: true}
}

// decode decodes one whole header block, appending at most maxFields fields
// totalling at most maxBytes (by RFC 7541 size) to out. A field that does
// not fit in what is left of maxBytes is kept with its value cut to fit,
// and to cutTo bytes when the field alone is over maxBytes, so that one huge
// field leaves room for the ones after it; fields past the bounds are
// decoded for the table's sake and counted in st.dropped. On a fatal error
// the table is marked stale: the rest of the block, and the entries it
// added, are lost.
//
// With partial set the block was cut at a bound: a string literal running
// past its end is kept as far as it goes (counted in st.cut), and the block
// ends there without error.
func (d *hpackDecoder) decode(block []byte, out []hfield, maxFields, maxBytes, cutTo int, partial bool) ([]hfield, blockStats, error) {
	var st blockStats
	var used int
	first := true
	for len(block) > 0 {
		b := block[0]
		var f hfield
		var err error
		cut := false
		switch {
		case b&0x80 != 0: // indexed field
			var i uint64
			if i, block, err = readInt(block, 7); err != nil {
				return out, st, d.fail(err)
			}
			f = d.lookup(i, &st)
		case b&0xe0 == 0x20: // dynamic table size update
			var n uint64
			if n, block, err = readInt(block, 5); err != nil {
				return out, st, d.fail(err)
			}
			if !first || n > uint64(d.allowed) {
				st.sizeUpdate = true
			}
			d.setMax(int(min(n, uint64(d.limit))))
			continue
		default: // literal: with indexing (01), without (0000) or never (0001)
			prefix := uint8(4)
			if b&0xc0 == 0x40 {
				prefix = 6
			}
			f, block, err = d.literal(block, prefix, &st, partial)
			switch {
			case errors.Is(err, errCut):
				// Whatever else the block held is lost, table
				// entries included.
				d.stale, cut = true, true
				st.cut++
			case err != nil:
				return out, st, d.fail(err)
			case prefix == 6:
				d.add(f)
			}
		}
		first = false
		out = st.keep(out, f, &used, maxFields, maxBytes, cutTo, cut)
	}
	return out, st, nil
}

// keep appends f to out within the list bounds, cutting its value when it
// does not fit; cut tells that it was cut already.
func (st *blockStats) keep(out []hfield, f hfield, used *int, maxFields, maxBytes, cutTo int, cut bool) []hfield {
	if len(out) >= maxFields {
		st.dropped++
		return out
	}
	if *used+f.size() > maxBytes {
		room := maxBytes - *used
		if f.size() > maxBytes {
			room = min(room, cutTo)
		}
		n := room - 32 - len(f.name)
		if n <= 0 || f.unknown {
			st.dropped++
			return out
		}
		// A copy: the cut value must not pin the whole one.
		f.value = strings.Clone(f.value[:n])
		if !cut {
			st.cut++
		}
	}
	*used += f.size()
	return append(out, f)
}

func (d *hpackDecoder) fail(err error) error {
	d.stale = true
	return err
}

func (d *hpackDecoder) literal(p []byte, prefix uint8, st *blockStats, partial bool) (hfield, []byte, error) {
	i, p, err := readInt(p, prefix)
	if err != nil {
		return hfield{}, p, err
	}
	var f hfield
	if i > 0 {
		f = d.lookup(i, st)
	} else if f.name, p, err = readString(p, false); err != nil {
		return hfield{}, p, err
	}
	f.value, p, err = readString(p, partial)
	return f, p, err
}

// readInt decodes an RFC 7541 §5.1 integer with an n-bit prefix. Values
// are bounded well below what any length or index here may be.
func readInt(p []byte, n uint8) (uint64, []byte, error) {
	if len(p) == 0 {
		return 0, p, errTruncated
	}
	mask := uint64(1)<<n - 1
	v := uint64(p[0]) & mask
	p = p[1:]
	if v < mask {
		return v, p, nil
	}
	for m := uint(0); ; m += 7 {
		if len(p) == 0 {
			return 0, p, errTruncated
		}
		if m > 28 {
			return 0, p, errIntOverflow
		}
		b := p[0]
		p = p[1:]
		v += uint64(b&0x7f) << m
		if b&0x80 == 0 {
			return v, p, nil
		}
	}
}

// readString decodes an RFC 7541 §5.2 string literal. Its length cannot
// pass the block, and Huffman decoding makes it at most 8/5 as long, so the block
// bound also bounds the output. With partial set a literal longer than p is
// returned as far as p goes, with errCut.
func readString(p []byte, partial bool) (string, []byte, error) {
	if len(p) == 0 {
		return "", p, errTruncated
	}
	huff := p[0]&0x80 != 0
	n, p, err := readInt(p, 7)
	if err != nil {
		return "", p, err
	}
	if n > uint64(len(p)) {
		if !partial || len(p) == 0 {
			return "", p, errTruncated
		}
		if !huff {
			return string(p), p[len(p):], errCut
		}
		return huffmanPrefix(p), p[len(p):], errCut
	}
	raw := p[:n]
	p = p[n:]
	if !huff {
		return string(raw), p, nil
	}
	s, err := hpack.HuffmanDecodeToString(raw)
	if err != nil {
		return "", p, errHuffman
	}
	return s, p, nil
}

// staticTable is RFC 7541 Appendix A.
var staticTable = [...]hfield{
	{name: ":authority"},
	{name: ":method", value: "GET"},
	{name: ":method", value: "POST"},
	{name: ":path", value: "/"},
	{name: ":path", value: "/index.html"},
	{name: ":scheme", value: "http"},
	{name: ":scheme", value: "https"},
	{name: ":status", value: "200"},
	{name: ":status", value: "204"},
	{name: ":status", value: "206"},
	{name: ":status", value: "304"},
	{name: ":status", value: "400"},
	{name: ":status", value: "404"},
	{name: ":status", value: "500"},
	{name: "accept-charset"},
	{name: "accept-encoding", value: "gzip, deflate"},
	{name: "accept-language"},
	{name: "accept-ranges"},
	{name: "accept"},
	{name: "access-control-allow-origin"},
	{name: "age"},
	{name: "allow"},
	{name: "authorization"},
	{name: "cache-control"},
	{name: "content-disposition"},
	{name: "content-encoding"},
	{name: "content-language"},
	{name: "content-length"},
	{name: "content-location"},
	{name: "content-range"},
	{name: "content-type"},
	{name: "cookie"},
	{name: "date"},
	{name: "etag"},
	{name: "expect"},
	{name: "expires"},
	{name: "from"},
	{name: "host"},
	{name: "if-match"},
	{name: "if-modified-since"},
	{name: "if-none-match"},
	{name: "if-range"},
	{name: "if-unmodified-since"},
	{name: "last-modified"},
	{name: "link"},
	{name: "location"},
	{name: "max-forwards"},
	{name: "proxy-authenticate"},
	{name: "proxy-authorization"},
	{name: "range"},
	{name: "referer"},
	{name: "refresh"},
	{name: "retry-after"},
	{name: "server"},
	{name: "set-cookie"},
	{name: "strict-transport-security"},
	{name: "transfer-encoding"},
	{name: "user-agent"},
	{name: "vary"},
	{name: "via"},
	{name: "www-authenticate"},
}

// huffNode is a node of the RFC 7541 Appendix B code tree: a leaf when sym
// is not negative.
type huffNode struct {
	next [2]int16
	sym  int16
}

// huffTree decodes Huffman strings cut short, which hpack.HuffmanDecode
// rejects. It is built from the hpack encoder so as not to copy the table.
var huffTree = func() []huffNode {
	tree := []huffNode{{sym: -1}}
	for c := range 256 {
		one := []byte{byte(c)}
		// Eight symbols take exactly as many bytes as one takes bits.
		bits := int(hpack.HuffmanEncodeLength(strings.Repeat(string(one), 8)))
		code := hpack.AppendHuffmanString(nil, string(one))
		n := 0
		for i := range bits {
			b := code[i/8] >> (7 - i%8) & 1
			if tree[n].next[b] == 0 {
				tree = append(tree, huffNode{sym: -1})
				tree[n].next[b] = int16(len(tree) - 1)
			}
			n = int(tree[n].next[b])
		}
		tree[n].sym = int16(c)
	}
	return tree
}()

// huffmanPrefix decodes the Huffman string p leniently: the symbols whose
// code is whole in p, up to the end or to an invalid code.
func huffmanPrefix(p []byte) string {
	out := make([]byte, 0, len(p)*8/5+1)
	n := 0
	for _, c := range p {
		for i := 7; i >= 0; i-- {
			n = int(huffTree[n].next[c>>i&1])
			if n == 0 {
				return string(out)
			}
			if sym := huffTree[n].sym; sym >= 0 {
				out = append(out, byte(sym))
				n = 0
			}
		}
	}
	return string(out)
}
