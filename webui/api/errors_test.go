package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestErrorKinds: an error made from a kind, wrapped or decoded from an
// answer, still matches its kind and no other.
func TestErrorKinds(t *testing.T) {
	made := fmt.Errorf("join: %w", ErrWrongKey.With("the key of %s", "m1"))
	var decoded Error
	if err := json.Unmarshal([]byte(`{"error":"the key of m1","code":"wrong_key"}`), &decoded); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{"made": made, "decoded": &decoded} {
		if !errors.Is(err, ErrWrongKey) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v matches the wrong kinds", name, err)
		}
	}
	if ae, ok := errors.AsType[*Error](made); !ok || ae.Status != 403 || ae.Message != "the key of m1" {
		t.Errorf("made: %+v", ae)
	}
	if Kind("wrong_key") != ErrWrongKey || Kind("nope") != nil {
		t.Error("Kind does not find kinds by code")
	}
}
