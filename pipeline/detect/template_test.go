package detect

import (
	"slices"
	"testing"
)

func TestTemplate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"/", "/"},
		{"/api/v1/users", "/api/v1/users"},
		{"/users/42", "/users/{id}"},
		{"/users/42/", "/users/{id}/"},
		{"/users/42/orders/7", "/users/{id}/orders/{id}"},
		{"/items/123e4567-e89b-12d3-a456-426614174000", "/items/{uuid}"},
		{"/items/123E4567-E89B-12D3-A456-426614174000/x", "/items/{uuid}/x"},
		{"/blobs/9f86d081884c7d659a2feaa0c55ad015", "/blobs/{hex}"},
		{"/blobs/9f86d081884c7d6", "/blobs/{hex}"},
		{"/blobs/9f86d08", "/blobs/9f86d08"}, // 7 hex digits: a word
		{"/blobs/a1b2c3d4", "/blobs/{hex}"},
		{"/blobs/decade", "/blobs/decade"},
		{"/blobs/deadbeefcafe", "/blobs/deadbeefcafe"}, // no digit: a word
		{"/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/orders/{opaque}"},
		{"/files/V1StGXR8_Z5jdHi6B-myT4", "/files/{opaque}"},
		{"/settings/getUserPreferences2024", "/settings/getUserPreferences2024"},
		{"/settings/notifications_v2_beta_2024", "/settings/notifications_v2_beta_2024"},
		{"/users/alice@example.com/keys", "/users/{email}/keys"},
		{"/users/alice%40example.com", "/users/{email}"},
		{"/users/alice@localhost", "/users/alice@localhost"},
		{"/reports/2024-05-06", "/reports/{date}"},
		{"/reports/2024-05-06T10:00:00Z", "/reports/{date}"},
		{"/reports/2024-13-06", "/reports/2024-13-06"},
		{"/reports/2024-05-06abc", "/reports/2024-05-06abc"},
		{"/search?q=1&id=2", "/search"},
		{"/page#42", "/page"},
		{"/v2/items/42?x=1", "/v2/items/{id}"},
		{"//double//7", "//double//{id}"},
		{"*", "*"},
		{"/users/me", "/users/me"},
		{"/deadbeef", "/deadbeef"},
	}
	for _, tt := range tests {
		if got := Template(tt.in); got != tt.want {
			t.Errorf("Template(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplateIDs(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ids  []string
	}{
		{"/users/42/orders/123e4567-e89b-12d3-a456-426614174000?x=1", "/users/{id}/orders/{uuid}", []string{"42", "123e4567-e89b-12d3-a456-426614174000"}},
		{"/api/v1/users", "/api/v1/users", nil},
		{"/a/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18", "", nil},
	}
	for _, tt := range tests {
		got, ids := TemplateIDs(tt.in, nil)
		if tt.want != "" && (got != tt.want || !slices.Equal(ids, tt.ids)) {
			t.Errorf("TemplateIDs(%q) = %q %q, want %q %q", tt.in, got, ids, tt.want, tt.ids)
		}
		if len(ids) > MaxObjectIDs {
			t.Errorf("TemplateIDs(%q): %d ids", tt.in, len(ids))
		}
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"/users/42", "/a/123e4567-e89b-12d3-a456-426614174000", "/x%40y.z", "/2024-05-06T", "?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Template(s)
		if Template(got) != got {
			t.Errorf("Template not idempotent on %q: %q then %q", s, got, Template(got))
		}
	})
}
