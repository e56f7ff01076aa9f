package publish_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish"
)

type nop struct{}

func (nop) Publish(context.Context, []*alert.Alert) error { return nil }
func (nop) Close() error                                  { return nil }

var errBroken = errors.New("broken")

func init() {
	publish.Register("test.nop", func(publish.Config) (publish.Publisher, error) { return nop{}, nil })
	publish.Register("test.broken", func(publish.Config) (publish.Publisher, error) { return nil, errBroken })
}

func TestRegistry(t *testing.T) {
	if names := publish.Names(); !slices.Contains(names, "test.nop") || !slices.IsSorted(names) {
		t.Errorf("Names() = %v", names)
	}
	tests := []struct {
		name    string
		wantErr error
	}{
		{"test.nop", nil},
		{"nope", publish.ErrUnknown},
		{"test.broken", errBroken},
	}
	for _, tt := range tests {
		p, err := publish.New(tt.name, publish.Config{})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%q) error %v, want %v", tt.name, err, tt.wantErr)
		}
		if (p != nil) != (tt.wantErr == nil) {
			t.Errorf("New(%q) = %v", tt.name, p)
		}
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	publish.Register("test.nop", func(publish.Config) (publish.Publisher, error) { return nop{}, nil })
}
