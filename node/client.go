package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/webui/api"
)

// Client talks to a node's local API, as the CLI and scripts do.
type Client struct {
	Base  string // e.g. http://127.0.0.1:7700
	Token string
	HTTP  *http.Client
}

// NewClient builds a client for the node at base (a URL or HOST:PORT, see
// APIBase), reading the API token from the node's data dir.
func NewClient(base string, dataDir datadir.Dir) (*Client, error) {
	base, err := APIBase(base)
	if err != nil {
		return nil, err
	}
	tok, err := os.ReadFile(dataDir.TokenFile())
	if err != nil {
		return nil, fmt.Errorf("read API token (is --data-dir the node's?): %w", err)
	}
	return &Client{Base: base, Token: strings.TrimSpace(string(tok)), HTTP: &http.Client{Timeout: 60 * time.Second}}, nil
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	typ := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd, typ = bytes.NewReader(b), "application/json"
	}
	resp, err := c.send(ctx, method, path, typ, rd)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// send makes one authenticated request; an error answer becomes *api.Error
// (errors.Is matches it against its kind, e.g. api.ErrNotFound).
// The caller closes the body of a successful response.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &api.Error{Status: resp.StatusCode}
	if json.Unmarshal(data, e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("%s (HTTP %d)", strings.TrimSpace(string(data)), resp.StatusCode)
	}
	return nil, e
}

// ShareFile posts the file at path to the meeting's chat.
func (c *Client) ShareFile(ctx context.Context, id, path string) (api.Message, error) {
	var msg api.Message
	f, err := os.Open(path)
	if err != nil {
		return msg, err
	}
	defer f.Close()
	q := url.Values{"name": {filepath.Base(path)}}
	typ := mime.TypeByExtension(filepath.Ext(path))
	if typ == "" {
		typ = "application/octet-stream"
	}
	resp, err := c.send(ctx, http.MethodPost, "/api/meetings/"+url.PathEscape(id)+"/files?"+q.Encode(), typ, f)
	if err != nil {
		return msg, err
	}
	defer resp.Body.Close()
	return msg, json.NewDecoder(resp.Body).Decode(&msg)
}

// DownloadFile writes a file shared in the meeting to w.
func (c *Client) DownloadFile(ctx context.Context, id, sha string, w io.Writer) error {
	return c.download(ctx, "/api/meetings/"+url.PathEscape(id)+"/files/"+url.PathEscape(sha), w)
}

// ExportMeeting writes the meeting's record in format (md, html or json) to w.
func (c *Client) ExportMeeting(ctx context.Context, id, format string, w io.Writer) error {
	return c.download(ctx, "/api/meetings/"+url.PathEscape(id)+"/export?format="+url.QueryEscape(format), w)
}

// download copies a GET answer's body to w.
func (c *Client) download(ctx context.Context, path string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
