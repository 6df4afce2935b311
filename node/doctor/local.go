package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"meshmeet/mesh/datadir"
	"os"
	"path/filepath"
	"runtime"
)

// checkDataDir: the node must be able to write its data dir, and nobody
// else may read its key and token (they are the user's identity and the
// key to their history) or write the dir (and swap the key).
func checkDataDir(d datadir.Dir) []Check {
	dir := d.Path()
	c := Check{Name: "data-dir"}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Status, c.Detail = StatusWarn, fmt.Sprintf("%s does not exist yet; the node creates it at its first start.", dir)
		return []Check{c, skipped("identity-key", "There is no identity key yet."), skipped("api-token", "There is no API token yet.")}
	case err != nil:
		c.Status, c.Detail = StatusFail, fmt.Sprintf("%s cannot be read: %v.", dir, err)
		c.Hint = "Check the path and that this user may read it."
		return []Check{c}
	case !st.IsDir():
		c.Status, c.Detail = StatusFail, fmt.Sprintf("%s is a file, not a directory.", dir)
		c.Hint = "Point --data-dir at a directory."
		return []Check{c}
	}
	probe, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		c.Status, c.Detail = StatusFail, fmt.Sprintf("The node cannot write to %s: %v.", dir, err)
		c.Hint = "Give this user the directory (chown), or choose another --data-dir."
		return []Check{c}
	}
	probe.Close()
	os.Remove(probe.Name())
	c.Status, c.Detail = StatusOK, fmt.Sprintf("%s is writable.", dir)
	if runtime.GOOS != "windows" {
		mode := st.Mode().Perm()
		switch {
		case mode&0o022 != 0:
			c.Status, c.Detail = StatusFail, fmt.Sprintf("%s can be written by other users (mode %04o): they could replace the node's key.", dir, mode)
			c.Hint = "Run: chmod 700 " + dir
		case mode&0o077 != 0:
			c.Status, c.Detail = StatusWarn, fmt.Sprintf("%s can be listed by other users (mode %04o).", dir, mode)
			c.Hint = "Run: chmod 700 " + dir
		default:
			c.Detail = fmt.Sprintf("%s is writable and private to this user (mode %04o).", dir, mode)
		}
	}
	return []Check{c,
		checkSecretFile("identity-key", d.KeyFile(), "the node's identity: whoever reads it can speak as this user"),
		checkSecretFile("api-token", d.TokenFile(), "the key to the local UI and API: whoever reads it can read this user's meetings"),
	}
}

func checkSecretFile(name, path, what string) Check {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return skipped(name, fmt.Sprintf("%s does not exist yet; the node creates it at its first start.", path))
	case err != nil:
		return Check{Name: name, Status: StatusFail, Detail: fmt.Sprintf("%s cannot be read: %v.", path, err)}
	}
	if runtime.GOOS == "windows" {
		return Check{Name: name, Status: StatusOK, Detail: fmt.Sprintf("%s exists (Windows: its ACL is not checked).", path)}
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return Check{Name: name, Status: StatusFail,
			Detail: fmt.Sprintf("%s can be read by other users (mode %04o); it is %s.", path, mode, what),
			Hint:   "Run: chmod 600 " + path}
	}
	return Check{Name: name, Status: StatusOK, Detail: fmt.Sprintf("%s is private to this user.", path)}
}

func skipped(name, detail string) Check { return Check{Name: name, Status: StatusSkip, Detail: detail} }

// browsers the UI works in, by command name; macOS and Windows keep them
// out of PATH, so their usual places are tried too.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "firefox"}

var browserPaths = map[string][]string{
	"darwin":  {"/Applications/Google Chrome.app", "/Applications/Chromium.app", "/Applications/Firefox.app", "/Applications/Microsoft Edge.app"},
	"windows": {`C:\Program Files\Google\Chrome\Application\chrome.exe`, `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, `C:\Program Files\Mozilla Firefox\firefox.exe`},
}

const browserHint = "Open the node's login address in it; http://127.0.0.1 counts as secure, so camera and microphone work without HTTPS — do not open the UI through another host name."

func checkBrowser(lookPath func(string) (string, error)) Check {
	for _, b := range browsers {
		if p, err := lookPath(b); err == nil {
			return Check{Name: "browser", Status: StatusOK, Detail: fmt.Sprintf("Found %s.", p), Hint: browserHint}
		}
	}
	for _, p := range browserPaths[runtime.GOOS] {
		if _, err := os.Stat(p); err == nil {
			return Check{Name: "browser", Status: StatusOK, Detail: fmt.Sprintf("Found %s.", p), Hint: browserHint}
		}
	}
	return Check{Name: "browser", Status: StatusWarn,
		Detail: "No Chromium, Chrome, Edge or Firefox was found on this machine.",
		Hint:   "Install one (Debian: apt-get install chromium); the UI needs a recent browser with WebRTC. A server that only runs a node for others can ignore this."}
}

// Free space below these stops recordings and shared files (fail), or soon will (warn).
const (
	diskFail = 100 << 20
	diskWarn = 1 << 30
)

func checkDisk(dir string) Check {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			dir = d
			break
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	free, err := freeBytes(dir)
	if err != nil {
		return skipped("disk", fmt.Sprintf("Free space on %s is not known here: %v.", dir, err))
	}
	c := Check{Name: "disk", Status: StatusOK, Detail: fmt.Sprintf("%s free where %s is.", human(free), dir)}
	switch {
	case free < diskFail:
		c.Status, c.Hint = StatusFail, "Free some space: history, shared files and recordings cannot be written."
	case free < diskWarn:
		c.Status, c.Hint = StatusWarn, "Less than 1 GiB is left: recordings and shared files will soon fill it (see --retention-days)."
	}
	return c
}

func human(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", b)
}
