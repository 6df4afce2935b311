package webui

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadTokenCreatesAndReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "api-token")
	tok, err := LoadToken(path)
	if err != nil {
		t.Fatalf("LoadToken: %v", err)
	}
	if b, err := hex.DecodeString(tok); err != nil || len(b) != tokenBytes {
		t.Errorf("token %q is not %d hex-encoded bytes", tok, tokenBytes)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadToken(path)
	if err != nil || again != tok {
		t.Errorf("second LoadToken = %q, %v; want %q", again, err, tok)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadTokenExistingFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		wantErr bool
	}{
		{"trimmed", "  " + testToken + "\n", testToken, false},
		{"empty", "", "", true},
		{"too short", "abc\n", "", true},
		{"inner space", "0123456789 abcdef0123456789", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api-token")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadToken(path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("LoadToken = %q, %v", got, err)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadTokenConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api-token")
	const n = 8
	toks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { toks[i], errs[i] = LoadToken(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("LoadToken %d = %q, %v; first got %q", i, toks[i], errs[i], toks[0])
		}
	}
}
