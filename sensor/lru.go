package sensor

// streamList is an intrusive doubly-linked list of streams, most recently
// active at the front: moving a stream costs no allocation.
type streamList struct{ root stream }

func (l *streamList) init() { l.root.next, l.root.prev = &l.root, &l.root }

func (l *streamList) pushFront(s *stream) {
	s.prev, s.next = &l.root, l.root.next
	l.root.next.prev = s
	l.root.next = s
}

func (l *streamList) remove(s *stream) {
	if s.next == nil {
		return
	}
	s.prev.next, s.next.prev = s.next, s.prev
	s.prev, s.next = nil, nil
}

func (l *streamList) moveToFront(s *stream) {
	if l.root.next == s || s.next == nil {
		return
	}
	l.remove(s)
	l.pushFront(s)
}

// back returns the least recently active stream, or nil.
func (l *streamList) back() *stream {
	if l.root.prev == &l.root {
		return nil
	}
	return l.root.prev
}
