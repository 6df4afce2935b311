package media

import (
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"golang.org/x/net/proxy"
)

const (
	ptOpus        = 111
	ptVP8         = 96
	ptVP9         = 98
	ptH264        = 102 // constrained baseline 42001f, packetization mode 1
	ptH264CB      = 106 // constrained baseline 42e01f (what browsers send), mode 1
	fmtpH264      = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"
	fmtpH264CB    = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	fmtpVP9       = "profile-id=0"
	nackHistory   = 64
	clockRateOpus = 48000
	clockRateVid  = 90000

	receiverReportInterval = 500 * time.Millisecond
)

// newAPI builds a webrtc.API of the engine: one for node↔node links, one (simulcast set)
// for the browser session, which alone negotiates the mid and RID header extensions that
// tell a simulcast camera's layers apart. Links leave them out: pion's senders do not
// stamp the mid, and with the extension negotiated a pion receiver resolves an SSRC the
// SDP does not declare (a track replaced in after negotiation) by it alone.
//
// Codecs, in order of preference: Opus; VP8, VP9 (profile 0), H.264 (constrained baseline,
// packetization mode 1). Every node registers the same list, so a node↔node link always
// negotiates all of them, and a forwarded track goes on with the codec its publishing
// browser chose (sinkTrack binds to the matching payload type). Browsers send VP8 unless
// the page prefers another codec (RTCRtpTransceiver.setCodecPreferences); a receiving
// browser must be able to decode what the publisher sends (all current browsers decode all
// three).
//
// Interceptors are chosen deliberately instead of webrtc.RegisterDefaultInterceptors, whose
// stats interceptor, simulcast header extensions and 1024-packet NACK buffers cost about
// 2.5 MB per forwarded stream:
//   - NACK generator (ask senders to retransmit what we lost) and responder (retransmit what
//     receivers lost) with a 64-packet send history (about 0.4 s of a 1.5 Mbit/s layer, enough
//     for round trips up to ~300 ms; it is most of a forwarded stream's memory). The
//     responder keeps references, not copies (nack.DisableCopy): sinkTrack writes a fresh
//     header per packet and the payload is the forwarder's immutable, shared copy (RTX is
//     not negotiated: retransmissions go on the original SSRC);
//   - RTCP sender and receiver reports, which browsers need for lip sync and RTT;
//   - TWCC feedback for incoming streams, so a browser's (and a peer's) congestion control
//     adapts its uplink; it also negotiates the transport-cc extension both ways. No
//     interceptor stamps what the node sends: sinkTrack stamps only what a simulcast sink
//     sends, whose layer the delay-based estimate chooses (twcc.go).
//
// The stats interceptor is left out: Engine.Stats counts packets in the forwarding path.
//
// SRTP keeps pion's default protection profiles, AEAD AES-GCM first (256, then 128 bits,
// then AES-CM with HMAC-SHA1-80 for peers without GCM): with AES-NI, AES-256-GCM protects a
// 1.2 kB packet in about 0.5 µs, AES-CM + HMAC-SHA1 in 4–7 µs, which would be more than
// half of a forwarded packet's cost; AES-128-GCM would save 0.1 µs, not worth a shorter key.
// Every browser offers GCM.
func newAPI(cfg Config, mux ice.UDPMux, lf logging.LoggerFactory, turnDial proxy.Dialer, simulcast bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	videoFB := []webrtc.RTCPFeedback{{Type: "ccm", Parameter: "fir"}}
	codecs := []struct {
		p    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: clockRateOpus, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		}, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: clockRateVid, RTCPFeedback: videoFB,
		}, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP9, ClockRate: clockRateVid, SDPFmtpLine: fmtpVP9, RTCPFeedback: videoFB,
		}, PayloadType: ptVP9}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: clockRateVid, SDPFmtpLine: fmtpH264, RTCPFeedback: videoFB,
		}, PayloadType: ptH264}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: clockRateVid, SDPFmtpLine: fmtpH264CB, RTCPFeedback: videoFB,
		}, PayloadType: ptH264CB}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.p, c.kind); err != nil {
			return nil, err
		}
	}
	// Browsers put the level of each audio packet in it: the speaking signal.
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if simulcast {
		if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	reg.Add(attrsFactory{})
	if err := webrtc.ConfigureNackWithOptions(me, reg,
		[]nack.GeneratorOption{nack.WithGeneratorLoggerFactory(lf)},
		nack.ResponderSize(nackHistory), nack.DisableCopy(), nack.WithResponderLoggerFactory(lf)); err != nil {
		return nil, err
	}
	// Receiver reports twice a second (pion's default: once): a sending node's
	// simulcast bandwidth estimate (bwe.go) sees a receiver's loss that much sooner.
	if err := webrtc.ConfigureRTCPReportsWithOptions(reg, []report.ReceiverOption{report.ReceiverInterval(receiverReportInterval)}); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
		return nil, err
	}

	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.MDNSQuery {
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
	} else {
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, cfg.ICEKeepalive)
	if turnDial != nil {
		se.SetICEProxyDialer(turnDial) // TURN over TCP and TLS (turntls.go)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}
