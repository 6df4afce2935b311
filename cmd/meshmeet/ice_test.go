package main

import "testing"

func TestICEServers(t *testing.T) {
	cases := []struct {
		spec string
		ok   bool
		user string
	}{
		{"stun:stun.example.org:3478", true, ""},
		{"turn:turn.example.org:3478,alice,secret", true, "alice"},
		{"turn:turn.example.org,alice", false, ""},
		{"http://example.org", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := iceServers([]string{tc.spec})
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if tc.ok && s[0].Username != tc.user {
				t.Fatalf("username %q", s[0].Username)
			}
		})
	}
}
