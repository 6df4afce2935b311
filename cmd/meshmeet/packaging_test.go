package main

import (
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

const packaging = "../../packaging"

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
