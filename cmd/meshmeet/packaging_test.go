package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

const packaging = "../../scripts/packaging"

// TestExampleConfigs: every key of the shipped config files is a flag of
// its command, so copying them never breaks a start.
func TestExampleConfigs(t *testing.T) {
	for file, cmd := range map[string]func() *cli.Command{"node.toml": nodeCommand, "rendezvous.toml": rendezvousCommand} {
		if _, err := loadConfig(filepath.Join(packaging, file), cmd().Flags, true); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestSystemdUnits runs systemd-analyze verify on both units, where systemd
// is installed (the binary path points at any executable for the check).
func TestSystemdUnits(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, unit := range []string{"meshmeet-node.service", "meshmeet-rendezvous.service"} {
		src, err := os.ReadFile(filepath.Join(packaging, "systemd", unit))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, unit)
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(src), "/usr/local/bin/meshmeet", self)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("systemd-analyze", "verify", path)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir(), "SYSTEMD_LOG_LEVEL=warning")
		if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
		}
	}
	rv, _ := os.ReadFile(filepath.Join(packaging, "systemd", "meshmeet-rendezvous.service"))
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=meshmeet-rendezvous", "CapabilityBoundingSet="} {
		if !strings.Contains(string(rv), want) {
			t.Errorf("the rendezvous unit lacks %s", want)
		}
	}
}

// TestLoginItems: the launchd plist and the Windows task are well-formed XML
// that start `meshmeet node --config …`.
func TestLoginItems(t *testing.T) {
	for _, f := range []string{"launchd/org.meshmeet.node.plist", "windows/meshmeet-node-task.xml"} {
		raw, err := os.ReadFile(filepath.Join(packaging, f))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(raw)))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", f, err)
			}
		}
		if !strings.Contains(string(raw), "node") || !strings.Contains(string(raw), "--config") {
			t.Errorf("%s does not start a node with its config", f)
		}
	}
}

// TestDocLinks: the README and docs/ link only to files inside the
// repository, and every such file exists.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	pages = append(pages, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, page := range pages {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(src), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if strings.Contains(m[1], "://") || target == "" {
				continue
			}
			abs := filepath.Join(filepath.Dir(page), target)
			if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", filepath.Base(page), m[1])
			} else if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links to a missing file: %s", filepath.Base(page), m[1])
			}
		}
	}
}

// TestDashboardMetrics: every meshmeet metric the Grafana dashboard plots is
// documented in docs/operations.md (node/metrics_doc_test.go checks that the
// documented ones are what a node serves).
func TestDashboardMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(packaging, "grafana", "meshmeet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`meshmeet_[a-z_]+`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				n++
				if !strings.Contains(string(ops), "`"+m+"`") {
					t.Errorf("the dashboard plots %s, which docs/operations.md does not describe", m)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("the dashboard plots only %d meshmeet metrics", n)
	}
}

// TestMetricsDocumented: every meshmeet_* metric defined in the code is in
// docs/operations.md's table, and the table names no metric the code lacks.
func TestMetricsDocumented(t *testing.T) {
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(meshmeet_[a-z_]+)` \\|").FindAllStringSubmatch(string(ops), -1) {
		documented[m[1]] = true
	}
	defined := map[string]bool{}
	name := regexp.MustCompile(`"(meshmeet_[a-z_]+)"`)
	err = filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(src), "prometheus") {
			return err
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for m := range defined {
		if !documented[m] {
			t.Errorf("%s is defined but not documented in docs/operations.md", m)
		}
	}
	for m := range documented {
		if !defined[m] {
			t.Errorf("docs/operations.md documents %s, which no code defines", m)
		}
	}
	if len(defined) < 10 {
		t.Fatalf("found only %d metrics: %v", len(defined), defined)
	}
}
