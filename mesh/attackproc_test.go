package mesh

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

const attackTargetEnv = "MESHMEET_ATTACK_TARGET"

// TestAttackTarget is not a test: TestAttacksOnNodeProcess runs this test
// binary again with attackTargetEnv set, and this is the node it attacks, in
// a process of its own so that its RSS is its own. It prints its address and
// the meeting's link, and runs until its stdin closes.
func TestAttackTarget(t *testing.T) {
	if os.Getenv(attackTargetEnv) == "" {
		t.Skip("the node TestAttacksOnNodeProcess attacks")
	}
	a := startMesh(t, testConfig(t, "target"))
	id, link := meetingOf(t, a)
	for i := range 20 {
		if _, err := a.PostMessage(context.Background(), id, fmt.Sprintf("before %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("ADDR %s\nLINK %s\n", a.addr(), link)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// procRSSMB is a process's resident set in MB, or 0 where /proc is not.
func procRSSMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// TestAttacksOnNodeProcess (row 6): a node in a process of its own is
// attacked at once by a stranger (40 sync and 40 file streams announcing
// 16 MiB frames and sending 16 MiB each, 40 silent challenges) and by a
// member (sync rounds of junk beyond the bounds, frames announced and never
// sent, 20,000 events of throwaway identities pushed by sync). Its RSS stays
// under 200 MB and a newcomer still joins through it and hears the chat.
func TestAttacksOnNodeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttackTarget$")
	cmd.Env = append(os.Environ(), attackTargetEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	var addr, link string
	lines := bufio.NewScanner(stdout)
	for (addr == "" || link == "") && lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "ADDR "); ok {
			addr = v
		}
		if v, ok := strings.CutPrefix(lines.Text(), "LINK "); ok {
			link = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	target, err := peer.AddrInfoFromString(addr)
	if err != nil {
		t.Fatalf("target printed %q: %v", addr, err)
	}
	pid := cmd.Process.Pid

	cfg := testConfig(t, "mallory")
	cfg.Peers = []string{addr}
	b := startMesh(t, cfg)
	v, err := b.Join(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	id := v.ID
	eventually(t, 15*time.Second, "mallory has the history", hasMessages(b, id, 20))
	bm, _ := b.meeting(id)
	before := procRSSMB(pid)

	peak := before
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				peak = max(peak, procRSSMB(pid))
			}
		}
	}()

	var wg sync.WaitGroup
	// The stranger.
	x, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Connect(context.Background(), *target); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	_, _ = rand.Read(chunk)
	for range 40 {
		for _, proto := range []protocol.ID{syncProtocol, fileProtocol, authProtocol} {
			wg.Go(func() {
				s, err := x.NewStream(context.Background(), target.ID, proto)
				if err != nil {
					return
				}
				defer s.Reset()
				_ = s.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if proto == authProtocol {
					time.Sleep(authTimeout + time.Second) // says nothing
					return
				}
				if _, err := s.Write(binary.BigEndian.AppendUint32(make([]byte, sessionLen), 16<<20)); err != nil {
					return
				}
				for range 16 {
					if _, err := s.Write(chunk); err != nil {
						return
					}
				}
			})
		}
	}
	// The member: junk rounds and frames announced and never sent…
	junk := []byte(`"` + strings.Repeat("x", 60<<10) + `"`)
	var batch syncBatch
	for range chunkBytes / len(junk) {
		batch.Events = append(batch.Events, junk)
	}
	for i := range 12 {
		wg.Go(func() {
			s, err := b.openSession(context.Background(), target.ID, bm.keys, syncProtocol)
			if err != nil {
				return
			}
			defer s.Reset()
			_ = s.SetDeadline(time.Now().Add(20 * time.Second))
			if i%2 == 0 {
				_, _ = s.Write(binary.BigEndian.AppendUint32(nil, maxFrame-1))
				_, _ = io.Copy(io.Discard, s) // until the target ends it
				return
			}
			if writeSealed(s, bm.keys, syncDigest{Buckets: map[int64]bucket{}}) != nil {
				return
			}
			for range 64 {
				if writeSealed(s, bm.keys, batch) != nil {
					return
				}
			}
		})
	}
	// A line said before the junk (the junk's authors' own later lines descend
	// from it, and a newcomer fetches those only after the junk)…
	if _, err := b.PostMessage(context.Background(), id, "still here"); err != nil {
		t.Fatal(err)
	}
	// …and 20,000 events of throwaway identities, pushed by sync.
	throwaway(t, b, bm, 20_000)
	for range 3 {
		_ = b.syncWith(context.Background(), target.ID, bm)
	}

	// The node still serves: a newcomer joins through it and hears the chat.
	cc := testConfig(t, "carol")
	cc.Peers = []string{addr}
	c := startMesh(t, cc)
	if _, err := c.Join(context.Background(), link); err != nil {
		t.Fatalf("join under attack: %v", err)
	}
	eventually(t, 30*time.Second, "the newcomer hears the chat", hasText(c, id, "still here"))
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("target process RSS %.0f MB before, peak %.0f MB under attack", before, peak)
	if peak > 200 && !raceEnabled {
		t.Fatalf("RSS peaked at %.0f MB", peak)
	}
}
