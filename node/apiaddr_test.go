package node

import "testing"

func TestAPIBase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:7700", "http://127.0.0.1:7700"},
		{"http://127.0.0.1:7700/", "http://127.0.0.1:7700"},
		{"127.0.0.1:7700", "http://127.0.0.1:7700"},
		{"localhost:7702", "http://localhost:7702"},
		{"[::1]:7700", "http://[::1]:7700"},
		{" 127.0.0.1:7700 ", "http://127.0.0.1:7700"},
	} {
		got, err := APIBase(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("APIBase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1", "ftp://127.0.0.1:7700", "http://", "7700"} {
		if got, err := APIBase(bad); err == nil {
			t.Errorf("APIBase(%q) = %q, want an error", bad, got)
		}
	}
}
