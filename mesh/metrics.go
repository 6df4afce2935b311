package mesh

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	messagesIn  prometheus.Counter
	messagesOut prometheus.Counter
	rejects     *prometheus.CounterVec
	syncRounds  *prometheus.CounterVec
	authRounds  *prometheus.CounterVec
	refused     *prometheus.CounterVec
	dropped     prometheus.Counter
	files       *prometheus.CounterVec
	heardDials  prometheus.Counter
	soonBeats   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, peers, meetings func() float64) *metrics {
	m := &metrics{
		messagesIn:  prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_messages_in_total", Help: "Log events received from peers and stored."}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_messages_out_total", Help: "Log events published by this node."}),
		rejects:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshmeet_gossip_rejects_total", Help: "Gossip messages refused, by reason."}, []string{"reason"}),
		syncRounds:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshmeet_sync_rounds_total", Help: "Anti-entropy rounds, by role and result."}, []string{"role", "result"}),
		authRounds:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshmeet_auth_rounds_total", Help: "Membership challenges, by role and result (ok, refused, error)."}, []string{"role", "result"}),
		refused:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshmeet_streams_refused_total", Help: "Streams and dials refused by a bound, by what (session, sync, file, signal, auth, dial)."}, []string{"what"}),
		dropped:     prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_notices_dropped_total", Help: "Live notices dropped for slow subscribers."}),
		files:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshmeet_file_transfers_total", Help: "Shared-file transfers, by outcome (fetched, failed, served)."}, []string{"outcome"}),
		heardDials:  prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_heard_dials_total", Help: "Dials to members whose addresses came in their heartbeats."}),
		soonBeats:   prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_soon_heartbeats_total", Help: "Heartbeats sent early for a new peer of a meeting."}),
	}
	if reg != nil {
		reg.MustRegister(m.messagesIn, m.messagesOut, m.rejects, m.syncRounds, m.authRounds, m.refused, m.dropped, m.files, m.heardDials, m.soonBeats,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meshmeet_peers", Help: "Connected libp2p peers."}, peers),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meshmeet_meetings", Help: "Meetings this node knows."}, meetings))
	}
	return m
}
