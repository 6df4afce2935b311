package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/libp2p/go-libp2p/gologshim"
	"github.com/urfave/cli/v2"
)

// newLogger builds the process logger from --log-level and routes libp2p's
// logs into it; libp2p is chatty, so it only gets warnings and up.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})
	libLvl := max(lvl, slog.LevelWarn)
	gologshim.SetDefaultHandler(levelHandler{h, libLvl})
	return slog.New(h), nil
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// WithAttrs and WithGroup keep the floor: libp2p's loggers add attributes
// (logger=net/identify), and the embedded handler's would drop it.
func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(as), h.min}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(name), h.min}
}
