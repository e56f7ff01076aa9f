package identity

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// List is a list of names, paths or addresses held as one comma-separated
// string, so that a Config stays comparable: detectors compare their
// settings to decide whether they can share work (detect.Merger). In YAML it
// is written as a sequence (or a comma-separated string); in the
// environment as a comma-separated string.
type List string

// NewList joins items into a List.
func NewList(items ...string) List { return List(strings.Join(items, ",")) }

// Items returns the entries, trimmed, empty ones left out.
func (l List) Items() []string {
	var out []string
	for s := range strings.SplitSeq(string(l), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// UnmarshalYAML accepts a sequence of strings or one comma-separated
// string.
func (l *List) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var items []string
		if err := n.Decode(&items); err != nil {
			return err
		}
		*l = NewList(items...)
		return nil
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = List(s)
	return nil
}

// MarshalYAML writes the list as a sequence.
func (l List) MarshalYAML() (any, error) { return l.Items(), nil }
