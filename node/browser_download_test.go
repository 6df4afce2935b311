package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// download clicks the link selector finds, as a person does — the page asks its node
// for a ticket and follows the link with it, since a navigation carries no header —
// and returns the bytes the browser saved. For eventually.
func (b *browser) download(selector string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "meshmeet-download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := b.within(20 * time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	events := true
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior:      cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
			DownloadPath:  dir,
			EventsEnabled: &events,
		})
		return err
	})); err != nil {
		return nil, fmt.Errorf("%s: allow downloads: %w", b.name, err)
	}
	if err := b.click(selector)(); err != nil {
		return nil, err
	}
	for ev, err := range progress {
		if err != nil {
			return nil, fmt.Errorf("%s: download of %s: %w", b.name, selector, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			return os.ReadFile(filepath.Join(dir, ev.GUID))
		case cdpbrowser.DownloadProgressStateCanceled:
			return nil, fmt.Errorf("%s: download of %s canceled", b.name, selector)
		}
	}
	return nil, errors.Join(fmt.Errorf("%s: no download from %s", b.name, selector), ctx.Err())
}
