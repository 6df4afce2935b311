package webui

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoProjectImports enforces DESIGN.md §1: webui reaches the node only
// through the Backend interface and imports no other meshmeet package but
// its own contract, webui/api.
func TestNoProjectImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if (path == "meshmeet" || strings.HasPrefix(path, "meshmeet/")) && path != "meshmeet/webui/api" {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
