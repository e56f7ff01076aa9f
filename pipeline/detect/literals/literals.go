// Package literals finds which of a fixed list of literal strings occur in a
// text, all of them in one pass (an Aho–Corasick automaton compiled to a
// table). The detectors use it where a value is checked against many short
// literals that gate costlier checks: one strings.Contains per literal
// rescans the value for each, which on ordinary text, where the literals'
// first bytes are common letters, costs a pass apiece.
//
// Input: a list of groups of literals, fixed at start; output: the set of
// groups with a literal in the text, as bits. Matching is byte-exact (the
// detectors pass values already folded to lower case). A Set is read-only
// once built and safe for concurrent use.
package literals

import "fmt"

// MaxGroups is the number of groups a Set can report (a bit each).
const MaxGroups = 64

// outFlag marks a transition into a state that ends a literal.
const outFlag = 1 << 31

// Set is a compiled list of groups of literals.
type Set struct {
	// class maps a byte to its column: bytes no literal holds share
	// column 0.
	class [256]uint8
	cols  int
	// next is the transition table: the entry of state s and class c,
	// at s*cols+c, holds the next state's row (its number times cols),
	// with outFlag set when that state ends a literal. State 0 is the
	// start.
	next []uint32
	// out has, per state, the groups of every literal ending there
	// (through the failure links).
	out []uint64
	// all is the union of every group's bit.
	all uint64
}

// New compiles groups: group i's bit in Find's result is 1<<i. An empty
// literal, more than MaxGroups groups or more states than the table can
// number is an error.
func New(groups [][]string) (*Set, error) {
	if len(groups) > MaxGroups {
		return nil, fmt.Errorf("literals: %d groups, at most %d", len(groups), MaxGroups)
	}
	s := &Set{cols: 1}
	for _, g := range groups {
		for _, lit := range g {
			if lit == "" {
				return nil, fmt.Errorf("literals: empty literal")
			}
			for i := 0; i < len(lit); i++ {
				if s.class[lit[i]] == 0 {
					if s.cols == 256 {
						return nil, fmt.Errorf("literals: too many distinct bytes")
					}
					s.class[lit[i]] = uint8(s.cols)
					s.cols++
				}
			}
		}
	}
	// The trie, with -1 for a missing edge.
	type node struct {
		edge []int32
		fail int32
		out  uint64
	}
	newNode := func() node {
		e := make([]int32, s.cols)
		for i := range e {
			e[i] = -1
		}
		return node{edge: e}
	}
	nodes := []node{newNode()}
	for gi, g := range groups {
		for _, lit := range g {
			cur := int32(0)
			for i := 0; i < len(lit); i++ {
				c := s.class[lit[i]]
				if nodes[cur].edge[c] < 0 {
					nodes = append(nodes, newNode())
					nodes[cur].edge[c] = int32(len(nodes) - 1)
				}
				cur = nodes[cur].edge[c]
			}
			nodes[cur].out |= 1 << gi
			s.all |= 1 << gi
		}
	}
	if len(nodes)*s.cols >= outFlag {
		return nil, fmt.Errorf("literals: %d states of %d classes, too many", len(nodes), s.cols)
	}
	// Breadth first: each state's failure link is known before its
	// children's, and missing edges become the failure's edges, which
	// turns the trie into a complete transition table.
	queue := make([]int32, 0, len(nodes))
	for c := range s.cols {
		if t := nodes[0].edge[c]; t > 0 {
			nodes[t].fail = 0
			queue = append(queue, t)
		} else {
			nodes[0].edge[c] = 0
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		nodes[n].out |= nodes[nodes[n].fail].out
		for c := range s.cols {
			t := nodes[n].edge[c]
			f := nodes[nodes[n].fail].edge[c]
			if t < 0 {
				nodes[n].edge[c] = f
				continue
			}
			nodes[t].fail = f
			queue = append(queue, t)
		}
	}
	s.next = make([]uint32, len(nodes)*s.cols)
	s.out = make([]uint64, len(nodes))
	for i, n := range nodes {
		for c, t := range n.edge {
			e := uint32(int(t) * s.cols)
			if nodes[t].out != 0 {
				e |= outFlag
			}
			s.next[i*s.cols+c] = e
		}
		s.out[i] = n.out
	}
	return s, nil
}

// MustNew is New for lists fixed in the source: it panics on an error.
func MustNew(groups ...[]string) *Set {
	s, err := New(groups)
	if err != nil {
		panic(err)
	}
	return s
}

// MustNewFold is MustNew for literals in lower case that match in any ASCII
// case: an upper-case letter of the text takes its lower case's column, so
// a text is matched as it comes, not lower-cased first. A literal with an
// upper-case letter panics.
func MustNewFold(groups ...[]string) *Set {
	for _, g := range groups {
		for _, lit := range g {
			for i := 0; i < len(lit); i++ {
				if 'A' <= lit[i] && lit[i] <= 'Z' {
					panic(fmt.Sprintf("literals: %q is not in lower case", lit))
				}
			}
		}
	}
	s := MustNew(groups...)
	for c := 'a'; c <= 'z'; c++ {
		s.class[c-('a'-'A')] = s.class[c]
	}
	return s
}

// Find returns the groups with a literal in text, a bit each. It stops
// early once every group is found.
func Find[S ~string | ~[]byte](s *Set, text S) uint64 {
	var found uint64
	row := uint32(0)
	for i := 0; i < len(text); i++ {
		e := s.next[row+uint32(s.class[text[i]])]
		row = e &^ outFlag
		if e&outFlag != 0 {
			found |= s.out[int(row)/s.cols]
			if found == s.all {
				break
			}
		}
	}
	return found
}
