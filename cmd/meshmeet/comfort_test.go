package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBin runs the test binary and returns its combined output and error.
func runBin(env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestManAndCompletion generates the man page and the three completion
// scripts from the CLI definition, as CI does, and checks they cover it.
func TestManAndCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"man"}, []string{".TH meshmeet 1", "node", "rendezvous", "meeting", `\fB--data-dir\fP`, `\fB--config\fP`}},
		{[]string{"completion", "bash"}, []string{"complete ", "--generate-bash-completion", "meshmeet"}},
		{[]string{"completion", "zsh"}, []string{"#compdef meshmeet", "--generate-bash-completion"}},
		{[]string{"completion", "fish"}, []string{"complete -c meshmeet", "rendezvous", "export", "data-dir"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := runBin(nil, tc.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
	// The scripts ask the binary for candidates; it must answer.
	out, err := runBin(nil, "meeting", "--generate-bash-completion")
	if err != nil || !strings.Contains(out, "export") || !strings.Contains(out, "create") {
		t.Fatalf("completion candidates for meeting: %v\n%s", err, out)
	}
	if out, err := runBin(nil, "completion", "tcsh"); err == nil || !strings.Contains(out, "usage") {
		t.Fatalf("an unknown shell: %v\n%s", err, out)
	}
}

func TestVersion(t *testing.T) {
	out, err := runBin(nil, "--version")
	if err != nil || !strings.HasPrefix(out, "meshmeet version ") || !strings.Contains(out, "commit ") || !strings.Contains(out, "built ") {
		t.Fatalf("--version printed %q (%v)", out, err)
	}
}

// TestConfigFileAndHostPortAPI starts a node from a TOML file (with a flag
// overriding one key) and reaches it with MESHMEET_API=HOST:PORT.
func TestConfigFileAndHostPortAPI(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "node.toml")
	body := `data-dir = "` + dir + `"
ui = "127.0.0.1:0"
listen = ["/ip4/127.0.0.1/tcp/0"]
no-mdns = true
name = "from-the-file"
media-port = 0
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, []string{"MESHMEET_CONFIG=" + cfg}, "--name", "from-the-flag")
	u, err := url.Parse(p.ui)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"MESHMEET_API=" + u.Host, "MESHMEET_DATA_DIR=" + dir}
	out, err := runBin(env, "meeting", "create", "--title", "configured")
	if err != nil || !strings.Contains(out, "join link:") {
		t.Fatalf("create with MESHMEET_API=%s: %v\n%s", u.Host, err, out)
	}
	out, err = runBin(env, "meeting", "join", strings.TrimSpace(strings.SplitAfter(out, "join link: ")[1]))
	if err != nil {
		t.Fatalf("join: %v\n%s", err, out)
	}
	if out, err := runBin(env, "meeting", "list", "--json"); err != nil || !strings.Contains(out, "configured") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	id := strings.Fields(strings.TrimPrefix(out, "joined "))[0]
	if out, err := runBin(env, "meeting", "show", id); err != nil || !strings.Contains(out, `"name": "from-the-flag"`) {
		t.Fatalf("the flag should win over the file: %v\n%s", err, out)
	}

	if err := os.WriteFile(cfg, []byte(body+"medai-port = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runBin(nil, "node", "--config", cfg)
	if err == nil || !strings.Contains(out, `the config file `+cfg+` has the key "medai-port"`) {
		t.Fatalf("a typo in the config file: %v\n%s", err, out)
	}
}

// TestMeetingExportAndDelete drives export and delete from the shell.
func TestMeetingExportAndDelete(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, []string{"MESHMEET_NAME=shell"}, nodeArgs(dir)...)
	env := []string{"MESHMEET_API=" + p.ui, "MESHMEET_DATA_DIR=" + dir}
	run := func(args ...string) string {
		t.Helper()
		out, err := runBin(env, args...)
		if err != nil {
			t.Fatalf("meshmeet %v: %v\n%s", args, err, out)
		}
		return out
	}
	out := run("meeting", "create", "--title", "Retro")
	link := strings.TrimSpace(strings.SplitAfter(out, "join link: ")[1])
	id := strings.Fields(strings.TrimPrefix(out, "created "))[0]
	run("meeting", "join", link)
	run("chat", "send", id, "<b>went well</b>")
	if md := run("meeting", "export", id); !strings.Contains(md, "# Meeting record: Retro") || !strings.Contains(md, `\<b\>went well\</b\>`) {
		t.Fatalf("export as Markdown printed:\n%s", md)
	}
	path := filepath.Join(t.TempDir(), "retro.html")
	run("meeting", "export", id, "--format", "html", "--out", path)
	html, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(html), "&lt;b&gt;went well&lt;/b&gt;") {
		t.Fatalf("the HTML export: %v\n%s", err, html)
	}
	if out, err := runBin(env, "meeting", "export", id, "--format", "html", "--out", path); err == nil {
		t.Fatalf("export over an existing file should fail:\n%s", out)
	}
	if out, err := runBin(env, "meeting", "export", id, "--format", "doc"); err == nil || !strings.Contains(out, "md, html or json") {
		t.Fatalf("export as doc: %v\n%s", err, out)
	}
	run("meeting", "delete", id)
	if out := run("meeting", "list"); strings.Contains(out, id) {
		t.Fatalf("list after delete:\n%s", out)
	}
}

// TestDoctorCommand: a fault gives exit code 1 and a JSON verdict scripts can read.
func TestDoctorCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, err := runBin(nil, "doctor", "--data-dir", t.TempDir(), "--ui", ln.Addr().String(), "--no-mdns", "--json")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("doctor with the UI port taken: %v\n%s", err, out)
	}
	var verdict struct {
		OK     bool
		Checks []struct{ Name, Status, Detail string }
	}
	if err := json.Unmarshal([]byte(out), &verdict); err != nil || verdict.OK {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	for _, c := range verdict.Checks {
		if c.Name == "ui-port" && c.Status == "fail" && strings.Contains(c.Detail, "taken by another program") {
			return
		}
	}
	t.Fatalf("no ui-port failure in:\n%s", out)
}

func freeTCP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
