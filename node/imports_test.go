package node

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules enforces DESIGN.md §1: component packages reach each
// other only through interfaces that node wires; the meeting log stays pure.
func TestImportRules(t *testing.T) {
	forbidden := map[string][]string{
		"mesh":         {"meshmeet/media", "meshmeet/webui", "meshmeet/node", "meshmeet/rendezvous"},
		"media":        {"meshmeet/mesh", "meshmeet/webui", "meshmeet/node", "meshmeet/rendezvous"},
		"webui":        {"meshmeet/mesh", "meshmeet/media", "meshmeet/node", "meshmeet/rendezvous"},
		"rendezvous":   {"meshmeet/mesh", "meshmeet/media", "meshmeet/webui", "meshmeet/node"},
		"cmd/meshmeet": {"meshmeet/mesh$"}, // through node and mesh/datadir ($: that package only)
		"node/export":  {"meshmeet/mesh", "meshmeet/media", "meshmeet/webui", "meshmeet/node", "meshmeet/rendezvous"},
		// The log is pure: rules over events, no network and no storage.
		"mesh/eventlog": {"meshmeet/mesh", "meshmeet/media", "meshmeet/webui", "meshmeet/node", "meshmeet/rendezvous",
			"github.com/dgraph-io/badger", "github.com/libp2p/go-libp2p-pubsub", "github.com/libp2p/go-libp2p/p2p",
			"github.com/libp2p/go-libp2p/core/host", "github.com/libp2p/go-libp2p/core/network", "net", "os"},
	}
	for dir, bad := range forbidden {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range bad {
					if exact, ok := strings.CutSuffix(b, "$"); ok && p == exact || !ok && (p == b || strings.HasPrefix(p, b+"/")) {
						t.Errorf("%s imports %s", f, p)
					}
				}
			}
		}
	}
}
