package media

import (
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// RIDStamper puts the mid and RID header extensions on a simulcast camera's packets,
// as browsers do and pion's sender does not: how the node tells the layers of a pion
// client's camera apart (PROTOCOL.md, "Simulcast"). Add it to the client's interceptor
// registry (the header extensions registered on its media engine, e.g. with
// webrtc.ConfigureSimulcastExtensionHeaders) and call Stamp once the transceiver has
// its mid. Test browsers and the load test's participants use it.
type RIDStamper struct {
	ids atomic.Pointer[map[uint32][2]string] // SSRC → mid, RID
}

// NewInterceptor implements interceptor.Factory.
func (r *RIDStamper) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &ridInterceptor{r: r}, nil
}

// Stamp marks the packets of tr's encodings with tr's mid and each one's RID, in place
// of the transceiver stamped before (one camera per stamper).
func (r *RIDStamper) Stamp(tr *webrtc.RTPTransceiver) {
	m := map[uint32][2]string{}
	for _, enc := range tr.Sender().GetParameters().Encodings {
		m[uint32(enc.SSRC)] = [2]string{tr.Mid(), enc.RID}
	}
	r.ids.Store(&m)
}

type ridInterceptor struct {
	interceptor.NoOp
	r *RIDStamper
}

func (ri *ridInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var midID, ridID uint8
	for _, e := range info.RTPHeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	if midID == 0 || ridID == 0 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if m := ri.r.ids.Load(); m != nil {
			if v, ok := (*m)[h.SSRC]; ok {
				_ = h.SetExtension(midID, []byte(v[0]))
				_ = h.SetExtension(ridID, []byte(v[1]))
			}
		}
		return w.Write(h, payload, a)
	})
}
