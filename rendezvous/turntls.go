package rendezvous

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/pion/turn/v5"
)

// listenTLS opens TURN over TLS: with the configured certificate or a
// self-signed one. It returns the listener and the certificate's pin, the
// SHA-256 of its DER form, which nodes get through the authenticated
// rendezvous protocol and check instead of a CA.
func listenTLS(cfg *TURNConfig) (net.Listener, string, error) {
	cert := cfg.TLSCert
	if cert == nil {
		c, err := selfSigned(cfg.PublicIP)
		if err != nil {
			return nil, "", fmt.Errorf("turn: certificate: %w", err)
		}
		cert = &c
	}
	ln, err := tls.Listen("tcp4", cfg.TLSListen, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, "", fmt.Errorf("turn: listen tls %s: %w (port 443 needs root or CAP_NET_BIND_SERVICE; --turn-tls-listen picks another, \"\" none)", cfg.TLSListen, err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return ln, hex.EncodeToString(sum[:]), nil
}

// selfSigned makes a certificate for ip, valid for a year.
func selfSigned(ip net.IP) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "meshmeet TURN relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{ip},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func listenerConfigs(ls []net.Listener, relays turn.RelayAddressGenerator, may func(net.Addr, net.IP) bool) []turn.ListenerConfig {
	out := make([]turn.ListenerConfig, 0, len(ls))
	for _, l := range ls {
		out = append(out, turn.ListenerConfig{Listener: l, RelayAddressGenerator: relays, PermissionHandler: may})
	}
	return out
}
