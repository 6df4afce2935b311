package webui

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"meshmeet/webui/api"
)

// stringKey is one line of a strings module: 'key': 'sentence',
var stringKey = regexp.MustCompile(`(?m)^\s*'([^']+)':\s*'((?:[^'\\]|\\.)*)',?\s*$`)

// stringsOf parses webui/static/i18n/<lang>.js into key → sentence.
func stringsOf(t *testing.T, lang string) map[string]string {
	t.Helper()
	src, err := os.ReadFile("static/i18n/" + lang + ".js")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range stringKey.FindAllStringSubmatch(string(src), -1) {
		if _, dup := out[m[1]]; dup {
			t.Errorf("%s.js: key %q twice", lang, m[1])
		}
		out[m[1]] = m[2]
	}
	if len(out) < 100 {
		t.Fatalf("%s.js: only %d keys parsed", lang, len(out))
	}
	return out
}

// TestEveryErrorCodeWorded: every error kind of the API has a sentence in
// every language the page speaks, so the page words each code and never
// shows a code, or the node's JSON, to a person.
func TestEveryErrorCodeWorded(t *testing.T) {
	seen := map[string]bool{}
	for _, lang := range []string{"en", "es"} {
		s := stringsOf(t, lang)
		for _, k := range api.Errors {
			if seen[lang+k.Code] {
				t.Errorf("code %q used by two kinds", k.Code)
			}
			seen[lang+k.Code] = true
			text, ok := s["error."+k.Code]
			switch {
			case !ok:
				t.Errorf("%s.js has no sentence for error code %q", lang, k.Code)
			case !regexp.MustCompile(`^\p{Lu}|^¿|^¡`).MatchString(text) || !strings.ContainsAny(text[len(text)-1:], ".?!…"):
				t.Errorf("%s.js: error.%s is not a sentence: %q", lang, k.Code, text)
			case strings.Contains(text, k.Code) || strings.ContainsAny(text, "{}\""):
				t.Errorf("%s.js: error.%s shows a code or JSON: %q", lang, k.Code, text)
			}
		}
		// The page's own codes: no answer at all, and a status without a code.
		for _, k := range []string{"error.network", "error.http"} {
			if s[k] == "" {
				t.Errorf("%s.js has no %s", lang, k)
			}
		}
	}
	for _, k := range api.Errors {
		if api.Kind(k.Code) != k || k.Status < 400 || k.Message == "" {
			t.Errorf("kind %+v: not registered once with a status and a message", k)
		}
	}
}
