package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"meshmeet/mesh"
	"meshmeet/node/nodeproc"
)

// procRSS is a process's resident set in MB.
func procRSS(t testing.TB, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skip("no /proc here")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// TestStrangerFloodNodeProcess (rows 6 and 7): a stranger connects to a node
// process in a meeting and opens 40 sync, 40 file and 40 challenge streams,
// the sync and file ones announcing 16 MiB frames and sending 16 MiB each,
// twice over. The process stays far under 200 MB and its user's meeting goes
// on.
func TestStrangerFloodNodeProcess(t *testing.T) {
	p := nodeproc.Node(t, "--name", "target")
	c, err := NewClient(p.UI, p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var m created
	if err := c.Do(context.Background(), http.MethodPost, "/api/meetings", map[string]any{"title": "under attack"}, &m); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": m.JoinURL}, nil); err != nil {
		t.Fatal(err)
	}
	target, err := peer.AddrInfoFromString(p.Addrs[0] + "/p2p/" + p.ID)
	if err != nil {
		t.Fatal(err)
	}
	member := startNode(t, "member", "", func(cfg *Config) { cfg.Mesh.Peers = []string{p.Addrs[0] + "/p2p/" + p.ID} })
	member.join(t, m.JoinURL)
	pid := p.Cmd.Process.Pid
	before := procRSS(t, pid)

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
	flood := func(proto protocol.ID, wg *sync.WaitGroup) {
		defer wg.Done()
		s, err := x.NewStream(context.Background(), target.ID, proto)
		if err != nil {
			return
		}
		defer s.Reset()
		_ = s.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if proto == "/meshmeet/auth/1.0.0" {
			time.Sleep(6 * time.Second) // says nothing
			return
		}
		head := binary.BigEndian.AppendUint32(make([]byte, 16), 16<<20)
		if _, err := s.Write(head); err != nil {
			return
		}
		for range 16 {
			if _, err := s.Write(chunk); err != nil {
				return
			}
		}
	}
	peak := before
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				peak = max(peak, procRSS(t, pid))
			}
		}
	}()
	start := time.Now()
	for round := range 2 {
		var wg sync.WaitGroup
		for range 40 {
			for _, proto := range []protocol.ID{"/meshmeet/sync/2.0.0", "/meshmeet/file/2.0.0", "/meshmeet/auth/1.0.0", "/meshmeet/sync/1.0.0"} {
				wg.Add(1)
				go flood(proto, &wg)
			}
		}
		// The meeting goes on meanwhile.
		text := fmt.Sprintf("during round %d", round)
		member.do(t, http.MethodPost, "/api/meetings/"+m.Meeting.ID+"/messages", map[string]string{"text": text}, nil)
		eventually(t, 15*time.Second, "chat reaches the node under attack", func() error {
			var ms []mesh.MessageView
			if err := c.Do(context.Background(), http.MethodGet, "/api/meetings/"+m.Meeting.ID+"/messages", nil, &ms); err != nil {
				return err
			}
			if len(ms) == 0 || ms[len(ms)-1].Text != text {
				return fmt.Errorf("%d messages", len(ms))
			}
			return nil
		})
		wg.Wait()
	}
	close(stop)
	<-sampled
	t.Logf("node process RSS %.0f MB before, peak %.0f MB under %s of stranger floods", before, peak, time.Since(start).Round(time.Second))
	if peak > 200 {
		t.Fatalf("RSS peaked at %.0f MB", peak)
	}
}
