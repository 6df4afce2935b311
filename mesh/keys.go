package mesh

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// secretLen is the size of a meeting's link secret.
const secretLen = 32

// keys are everything derived from a meeting's link secret. The meeting ID is
// the HKDF salt, so one secret can't be replayed against another meeting.
type keys struct {
	secret []byte
	tag    string // public handle: topic names and sync requests
	ns     string // rendezvous namespace
	seal   []byte // AEAD key for gossip and sync payloads
}

func deriveKeys(meetingID string, secret []byte) (keys, error) {
	if len(secret) != secretLen {
		return keys{}, fmt.Errorf("%w: meeting key must be %d bytes", ErrInvalid, secretLen)
	}
	derive := func(info string, n int) []byte {
		b, err := hkdf.Key(sha256.New, secret, []byte(meetingID), "meshmeet/v1/"+info, n)
		if err != nil {
			panic(err) // only for n beyond 255*32
		}
		return b
	}
	return keys{
		secret: secret,
		tag:    hex.EncodeToString(derive("tag", 16)),
		ns:     hex.EncodeToString(derive("rendezvous", 16)),
		seal:   derive("seal", chacha20poly1305.KeySize),
	}, nil
}

func newSecret() []byte {
	b := make([]byte, secretLen)
	_, _ = rand.Read(b)
	return b
}

var errOpen = errors.New("cannot open sealed payload")

const sealVersion = 1

// seal encrypts plain with the meeting key; ad binds it to its use (topic).
func (k keys) sealBytes(plain []byte, ad string) []byte {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		panic(err)
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1:])
	return aead.Seal(out, out[1:], plain, []byte(ad))
}

func (k keys) open(sealed []byte, ad string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize()+aead.Overhead() || sealed[0] != sealVersion {
		return nil, errOpen
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], []byte(ad))
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}
