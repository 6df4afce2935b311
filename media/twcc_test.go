package media

import (
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// TestTransportCCDetect feeds the detector what a receiving node's twcc interceptor
// reports (pion's twcc.Recorder builds the feedback) for a packet every 5 ms, a feedback
// every 100 ms, on paths with and without a growing queue.
func TestTransportCCDetect(t *testing.T) {
	const step = 5 * time.Millisecond
	for _, tc := range []struct {
		name string
		// arrival of the packet sent at dep (both from 0), on the receiver's clock
		arrival func(dep time.Duration) time.Duration
		over    bool
		k       float64 // the factor, when over
	}{
		{"steady, with jitter", func(dep time.Duration) time.Duration {
			return 7*time.Hour + dep + 20*time.Millisecond + time.Duration(int64(dep/step)*7919%4000)*time.Microsecond
		}, false, 0},
		{"reader stalls 250 ms", func(dep time.Duration) time.Duration {
			a := dep + 20*time.Millisecond
			if a > time.Second && a < 1250*time.Millisecond {
				a = 1250 * time.Millisecond // read in one burst after the stall
			}
			return a
		}, false, 0},
		{"reader stalls 600 ms", func(dep time.Duration) time.Duration {
			a := dep + 20*time.Millisecond
			if a > time.Second && a < 1600*time.Millisecond {
				a = 1600 * time.Millisecond
			}
			return a
		}, false, 0},
		{"keyframe bursts", func(dep time.Duration) time.Duration {
			// every second a keyframe's burst makes a 100 ms queue, drained in 200 ms
			q := time.Duration(0)
			if in := dep % time.Second; in < 200*time.Millisecond {
				q = 200*time.Millisecond - in
			}
			return dep + 20*time.Millisecond + q/2
		}, false, 0},
		{"queue after 1 s, 80 % gets through", func(dep time.Duration) time.Duration {
			if dep < time.Second {
				return dep + 20*time.Millisecond
			}
			return time.Second + 20*time.Millisecond + (dep-time.Second)*5/4
		}, true, 0.85 * 0.8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTransportCC()
			c.sent.Store(new(twccRing))
			rec := twcc.NewRecorder(1)
			var over bool
			var k float64
			var at time.Duration
			for i := range 600 { // 3 s
				dep := time.Duration(i) * step
				c.note(uint16(i), dep.Microseconds())
				rec.Record(2, uint16(i), tc.arrival(dep).Microseconds())
				if i%20 != 19 {
					continue
				}
				for _, p := range rec.BuildFeedbackPacket() {
					fb, ok := p.(*rtcp.TransportLayerCC)
					if !ok {
						continue
					}
					// through the wire format, as readRTCPLoop gets it
					b, err := fb.Marshal()
					if err != nil {
						t.Fatal(err)
					}
					ps, err := rtcp.Unmarshal(b)
					if err != nil {
						t.Fatal(err)
					}
					if o, f := c.detect(ps[0].(*rtcp.TransportLayerCC)); o && !over {
						over, k, at = true, f, dep
					}
				}
			}
			if over != tc.over {
				t.Fatalf("overuse %v (at %v, k %.2f), want %v", over, at, k, tc.over)
			}
			if over {
				t.Logf("overuse at %v, k %.2f", at, k)
				if at > 1600*time.Millisecond || k < tc.k-0.05 || k > tc.k+0.05 {
					t.Errorf("overuse at %v with k %.2f, want by 1.6 s with %.2f", at, k, tc.k)
				}
			}
		})
	}
}

// TestBWEDelay: a delay overuse cuts the estimate of every simulcast sink on the
// PeerConnection to k times its rate, and the loss rule does not raise it while the queue
// delay stays above the threshold.
func TestBWEDelay(t *testing.T) {
	f, sk := layeredSink()
	c := newTransportCC()
	c.add(sk)
	t0 := time.Now()
	sk.onDelay(0.6, t0)
	if got := sk.bw.Load(); got != 900_000 || f.bwLayer(got) != 1 {
		t.Fatalf("after a delay cut of 0.6: %d bps, layer %d", got, f.bwLayer(got))
	}
	sk.rw.layer.Store(2)
	c.queue.Store(2 * twccQueue.Microseconds())
	at := t0.Add(bweHold + time.Millisecond)
	sk.onLoss(0, at)
	if got := sk.bw.Load(); got != 900_000 {
		t.Fatalf("grew with a queue: %d", got)
	}
	c.queue.Store(0)
	sk.onLoss(0, at)
	if got := sk.bw.Load(); got != uint64(900_000*bweGrow) {
		t.Fatalf("without a queue: %d", got)
	}
}

// stamped is in as a sink sends it, stamped by c in extension id.
func stamped(c *transportCC, in *rtp.Header, id uint8) *rtp.Header {
	x := newSendHeader(in, sinkBinding{ssrc: in.SSRC, pt: in.PayloadType})
	c.stamp(x, id)
	return &x.h
}

// TestTransportCCStamp: the stamp is a one-byte transport-cc extension with consecutive
// numbers, the forwarder's header is left as it was, and the departure is noted.
func TestTransportCCStamp(t *testing.T) {
	c := newTransportCC()
	c.sent.Store(new(twccRing))
	in := rtp.Header{Version: 2, SequenceNumber: 7, SSRC: 9}
	for want := range uint16(3) {
		h := stamped(c, &in, 5)
		var ext rtp.TransportCCExtension
		if err := ext.Unmarshal(h.GetExtension(5)); err != nil || ext.TransportSequence != want {
			t.Fatalf("packet %d: transport sequence %d (%v)", want, ext.TransportSequence, err)
		}
		b, err := h.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back rtp.Header
		if _, err := back.Unmarshal(b); err != nil || back.GetExtension(5) == nil || back.SequenceNumber != 7 {
			t.Fatalf("marshalled: %v %+v", err, back)
		}
		if _, ok := c.departed(want); !ok {
			t.Fatalf("packet %d not noted", want)
		}
	}
	if in.Extension || in.Extensions != nil {
		t.Fatal("the forwarder's header was modified")
	}
}

var benchHeader *rtp.Header // escapes, as the header sinkTrack.write hands pion does

// BenchmarkSinkHeader is the header a sink writes per packet and receiver, without and with
// the transport-cc stamp, marshalled as the SRTP writer does.
func BenchmarkSinkHeader(b *testing.B) {
	in := rtp.Header{Version: 2, SequenceNumber: 7, SSRC: 9, PayloadType: 96}
	buf := make([]byte, 64)
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			h := new(rtp.Header)
			*h = in
			_, _ = h.MarshalTo(buf)
			benchHeader = h
		}
	})
	b.Run("twcc", func(b *testing.B) {
		c := newTransportCC()
		c.sent.Store(new(twccRing))
		b.ReportAllocs()
		for range b.N {
			h := stamped(c, &in, 5)
			_, _ = h.MarshalTo(buf)
			benchHeader = h
		}
	})
}

// BenchmarkTransportCCFeedback is the cost per acknowledged packet of reading feedback,
// parsing (rtcp.Unmarshal, as readRTCPLoop does) included: one TransportLayerCC for 20
// packets (100 ms of a 1.2 Mbit/s layer).
func BenchmarkTransportCCFeedback(b *testing.B) {
	c := newTransportCC()
	c.sent.Store(new(twccRing))
	rec := twcc.NewRecorder(1)
	var fbs [][]byte
	for i := range 20 * 64 {
		dep := int64(i) * 5000
		c.note(uint16(i), dep)
		rec.Record(2, uint16(i), dep+20000)
		if i%20 == 19 {
			for _, p := range rec.BuildFeedbackPacket() {
				if fb, ok := p.(*rtcp.TransportLayerCC); ok {
					raw, err := fb.Marshal()
					if err != nil {
						b.Fatal(err)
					}
					fbs = append(fbs, raw)
				}
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ps, err := rtcp.Unmarshal(fbs[i%len(fbs)])
		if err != nil {
			b.Fatal(err)
		}
		c.detect(ps[0].(*rtcp.TransportLayerCC))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(20*b.N), "ns/ack")
}
