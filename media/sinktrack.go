package media

import (
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// sinkTrack is the webrtc.TrackLocal a sink writes to. Unlike webrtc.TrackLocalStaticRTP
// it writes each binding a header of its own, allocated per packet and never reused, next to
// the forwarder's shared, immutable payload; so the NACK responder can keep both for
// retransmission without copying (nack.DisableCopy), and one forwarded packet costs one
// small allocation per receiver instead of a 1.5 kB copy.
type sinkTrack struct {
	codec        webrtc.RTPCodecCapability
	id, streamID string
	kind         webrtc.RTPCodecType

	mu       sync.Mutex                    // serialises Bind/Unbind
	bindings atomic.Pointer[[]sinkBinding] // copy on write
	onBind   func()                        // set before the track is added; called after each Bind
	cc       *transportCC                  // set before the track is added: stamp transport-cc (twcc.go)
}

type sinkBinding struct {
	id    string
	ssrc  uint32
	pt    uint8
	twcc  uint8 // the transport-cc extension's ID; 0: not negotiated
	level uint8 // the audio level extension's negotiated ID; 0: not negotiated
	w     webrtc.TrackLocalWriter
}

func newSinkTrack(codec webrtc.RTPCodecCapability, id, streamID string) *sinkTrack {
	kind := webrtc.RTPCodecTypeVideo
	if strings.HasPrefix(strings.ToLower(codec.MimeType), "audio/") {
		kind = webrtc.RTPCodecTypeAudio
	}
	return &sinkTrack{codec: codec, id: id, streamID: streamID, kind: kind}
}

func (t *sinkTrack) ID() string                { return t.id }
func (t *sinkTrack) RID() string               { return "" }
func (t *sinkTrack) StreamID() string          { return t.streamID }
func (t *sinkTrack) Kind() webrtc.RTPCodecType { return t.kind }

// Bind accepts a transceiver that negotiated the track's codec (with compatible format
// parameters) and writes with that transceiver's payload type and SSRC.
func (t *sinkTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	c, ok := matchCodec(t.codec, ctx.CodecParameters())
	if !ok {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var next []sinkBinding
	if bp := t.bindings.Load(); bp != nil {
		next = append(next, *bp...)
	}
	b := sinkBinding{id: ctx.ID(), ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), w: ctx.WriteStream()}
	for _, x := range ctx.HeaderExtensions() {
		switch {
		case x.URI == sdp.TransportCCURI && x.ID >= 1 && x.ID <= 14: // stamp writes a one-byte header
			b.twcc = uint8(x.ID)
		case x.URI == sdp.AudioLevelURI:
			b.level = uint8(x.ID)
		}
	}
	next = append(next, b)
	t.bindings.Store(&next)
	if t.onBind != nil {
		t.onBind()
	}
	return c, nil
}

// bound reports whether the track has a binding, i.e. whether a write reaches anyone.
func (t *sinkTrack) bound() bool {
	bp := t.bindings.Load()
	return bp != nil && len(*bp) > 0
}

func (t *sinkTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	bp := t.bindings.Load()
	if bp == nil {
		return webrtc.ErrUnbindFailed
	}
	next := make([]sinkBinding, 0, len(*bp))
	for _, b := range *bp {
		if b.id != ctx.ID() {
			next = append(next, b)
		}
	}
	if len(next) == len(*bp) {
		return webrtc.ErrUnbindFailed
	}
	t.bindings.Store(&next)
	return nil
}

// write sends p (never modified) on every binding.
func (t *sinkTrack) write(p *rtp.Packet) error {
	bp := t.bindings.Load()
	if bp == nil || len(*bp) == 0 {
		return errNotBound
	}
	var err error
	for _, b := range *bp {
		if _, werr := b.w.WriteRTP(t.header(b, p), p.Payload); werr != nil {
			err = werr
		}
	}
	return err
}

// header is p's header as b sends it, in an allocation of its own: b's SSRC and payload
// type, and the one extension it may carry: the transport-cc stamp (a chosen simulcast
// layer, twcc.go), else an audio level (withLevel) under the ID b negotiated, else none.
func (t *sinkTrack) header(b sinkBinding, p *rtp.Packet) *rtp.Header {
	switch {
	case t.cc != nil && b.twcc != 0:
		x := newSendHeader(&p.Header, b)
		t.cc.stamp(x, b.twcc)
		return &x.h
	case p.Extension:
		x := newSendHeader(&p.Header, b)
		if level := p.GetExtension(levelID); b.level != 0 && level != nil {
			x.set(b.level, level)
		}
		return &x.h
	}
	h := new(rtp.Header)
	*h = p.Header
	h.SSRC, h.PayloadType = b.ssrc, b.pt
	return h
}

// sendHeader is a header with room for one extension and its value (at most 2 bytes),
// in one allocation.
type sendHeader struct {
	h   rtp.Header
	ext [1]rtp.Extension
	val [2]byte
}

// newSendHeader copies h for b (b's SSRC and payload type) without its extensions.
func newSendHeader(h *rtp.Header, b sinkBinding) *sendHeader {
	x := &sendHeader{h: *h}
	x.h.SSRC, x.h.PayloadType = b.ssrc, b.pt
	x.h.Extension, x.h.Extensions = false, x.ext[:0]
	return x
}

// set puts val in extension id (1..14 with 1 or 2 bytes: cannot fail).
func (x *sendHeader) set(id uint8, val []byte) {
	n := copy(x.val[:], val)
	_ = x.h.SetExtension(id, x.val[:n])
}

// matchCodec finds want among a transceiver's negotiated codecs: the same MIME type and
// format parameters, else the same MIME type with compatible parameters (H.264: packetization
// mode and profile; VP9: profile).
func matchCodec(want webrtc.RTPCodecCapability, have []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	for _, c := range have {
		if strings.EqualFold(c.MimeType, want.MimeType) && c.SDPFmtpLine == want.SDPFmtpLine {
			return c, true
		}
	}
	for _, c := range have {
		if strings.EqualFold(c.MimeType, want.MimeType) && fmtpCompatible(want.MimeType, want.SDPFmtpLine, c.SDPFmtpLine) {
			return c, true
		}
	}
	return webrtc.RTPCodecParameters{}, false
}

func fmtpCompatible(mime, a, b string) bool {
	pa, pb := parseFmtp(a), parseFmtp(b)
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeH264):
		if pa["packetization-mode"] != pb["packetization-mode"] {
			return false
		}
		x, err1 := hex.DecodeString(pa["profile-level-id"])
		y, err2 := hex.DecodeString(pb["profile-level-id"])
		return err1 == nil && err2 == nil && len(x) == 3 && len(y) == 3 && x[0] == y[0] && x[1] == y[1]
	case strings.ToLower(webrtc.MimeTypeVP9):
		return orDefault(pa["profile-id"], "0") == orDefault(pb["profile-id"], "0")
	}
	return true
}

func parseFmtp(line string) map[string]string {
	m := map[string]string{}
	for kv := range strings.SplitSeq(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "" {
			m[strings.ToLower(k)] = v
		}
	}
	return m
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// hasSSRC reports whether one of the track's bindings sends with ssrc.
func (t *sinkTrack) hasSSRC(ssrc uint32) bool {
	if bp := t.bindings.Load(); bp != nil {
		for _, b := range *bp {
			if b.ssrc == ssrc {
				return true
			}
		}
	}
	return false
}
