package http2

import (
	"errors"
	"strconv"

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
// totalling at most maxBytes (by RFC 7541 size) to out. Fields past the
// bounds are decoded for the table's sake and counted in st.dropped. On a
// fatal error the table is marked stale: the rest of the block, and the
// entries it added, are lost.
func (d *hpackDecoder) decode(block []byte, out []hfield, maxFields, maxBytes int) ([]hfield, blockStats, error) {
	var st blockStats
	var used int
	first := true
	for len(block) > 0 {
		b := block[0]
		var f hfield
		var err error
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
			if f, block, err = d.literal(block, prefix, &st); err != nil {
				return out, st, d.fail(err)
			}
			if prefix == 6 {
				d.add(f)
			}
		}
		first = false
		if len(out) >= maxFields || used+f.size() > maxBytes {
			st.dropped++
			continue
		}
		used += f.size()
		out = append(out, f)
	}
	return out, st, nil
}

func (d *hpackDecoder) fail(err error) error {
	d.stale = true
	return err
}

func (d *hpackDecoder) literal(p []byte, prefix uint8, st *blockStats) (hfield, []byte, error) {
	i, p, err := readInt(p, prefix)
	if err != nil {
		return hfield{}, p, err
	}
	var f hfield
	if i > 0 {
		f = d.lookup(i, st)
	} else if f.name, p, err = readString(p); err != nil {
		return hfield{}, p, err
	}
	f.value, p, err = readString(p)
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
// bound also bounds the output.
func readString(p []byte) (string, []byte, error) {
	if len(p) == 0 {
		return "", p, errTruncated
	}
	huff := p[0]&0x80 != 0
	n, p, err := readInt(p, 7)
	if err != nil {
		return "", p, err
	}
	if n > uint64(len(p)) {
		return "", p, errTruncated
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
