package media

import "github.com/pion/interceptor"

// attrsInterceptor is registered first, so it is the innermost reader of every incoming
// stream: it gives the interceptors above it one attributes map per stream, cleared per
// packet. Without it pion passes nil and the NACK generator makes a new map for every
// packet (two allocations and a map grow: a fifth of the read loop's time).
type attrsInterceptor struct{ interceptor.NoOp }

type attrsFactory struct{}

func (attrsFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &attrsInterceptor{}, nil
}

// BindRemoteStream: one stream is read by one goroutine at a time (its track's reader).
// The map is reused only when the caller passes none, and callers do not keep it past the
// next read: the forwarder ignores it; pion keeps a peeked packet's map only until that
// packet is read, which is the next read.
func (*attrsInterceptor) BindRemoteStream(_ *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	attrs := interceptor.Attributes{}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if a == nil {
			clear(attrs)
			a = attrs
		}
		return r.Read(b, a)
	})
}
