package media

import (
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

const (
	ptOpus = 111
	ptVP8  = 96
)

// newAPI builds the engine's single webrtc.API.
//
// Interceptors are chosen deliberately instead of webrtc.RegisterDefaultInterceptors, whose
// stats interceptor, simulcast header extensions and 1024-packet NACK buffers cost about
// 2.5 MB per forwarded stream:
//   - NACK generator (ask senders to retransmit what we lost) and responder (retransmit what
//     receivers lost) with a 128-packet send buffer (about a second of 640x360 video; each entry is a
//     1460-byte copy, so this buffer is most of the ~0.3 MB a forwarded video stream costs);
//   - RTCP sender and receiver reports, which browsers need for lip sync and RTT;
//   - TWCC feedback for incoming streams, so a browser's (and a peer's) congestion control
//     adapts its uplink. The node forwards without transcoding, so it runs no bandwidth
//     estimator of its own and does not stamp TWCC sequence numbers on what it sends.
//
// The stats interceptor is left out: Engine.Stats counts packets in the forwarding path.
func newAPI(cfg Config, mux ice.UDPMux, lf logging.LoggerFactory) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	videoFB := []webrtc.RTCPFeedback{{Type: "ccm", Parameter: "fir"}}
	codecs := []struct {
		p    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		}, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB,
		}, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.p, c.kind); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	if err := webrtc.ConfigureNackWithOptions(me, reg,
		[]nack.GeneratorOption{nack.WithGeneratorLoggerFactory(lf)},
		nack.ResponderSize(128), nack.WithResponderLoggerFactory(lf)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
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
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}
