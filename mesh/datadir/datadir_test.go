package datadir

import (
	"os"
	"testing"
)

func TestIdentityKeyIsPrivateAndStable(t *testing.T) {
	d := Dir(t.TempDir())
	k1, err := d.Key()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(d.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity key mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := d.Key()
	if err != nil || !k1.Equals(k2) {
		t.Fatalf("second load gave another key: %v", err)
	}
}

func TestNames(t *testing.T) {
	d := Dir("/data")
	for got, want := range map[string]string{
		d.KeyFile(): "/data/identity.key", d.TokenFile(): "/data/api-token", d.DB(): "/data/db",
		d.Files(): "/data/files", d.Recordings("m1"): "/data/recordings/m1",
	} {
		if got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
}
