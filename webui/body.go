package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"meshmeet/webui/api"
)

const (
	maxBodyBytes    = 64 << 10 // request bodies larger than this get 413
	bodyReadTimeout = 30 * time.Second
)

// readBody reads a size-limited body and checks that it is valid UTF-8 JSON.
// An empty body is returned as nil when allowEmpty, else it is an error.
func readBody(w http.ResponseWriter, r *http.Request, allowEmpty bool) ([]byte, error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, api.ErrTooLarge.With("request body is larger than %d KiB", maxBodyBytes>>10)
		}
		return nil, errBadRequest("could not read the request body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil, nil
		}
		return nil, errBadRequest("request body is empty; send a JSON object")
	}
	if !utf8.Valid(b) {
		return nil, errBadRequest("request body is not valid UTF-8")
	}
	if !json.Valid(b) {
		return nil, errBadRequest("request body is not valid JSON")
	}
	return b, nil
}

// decodeBody reads the body and decodes it strictly into v: unknown fields,
// wrong types and trailing data are errors. An empty body leaves v unchanged
// when allowEmpty.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	b, err := readBody(w, r, allowEmpty)
	if err != nil || b == nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest(describeJSONError(err))
	}
	if dec.More() {
		return errBadRequest("request body must hold a single JSON object")
	}
	return nil
}

// describeJSONError turns a decoding error into a message for a person.
func describeJSONError(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			return fmt.Sprintf("field %q must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return "request body must be a JSON object"
	}
	// "json: unknown field \"x\"" is already readable; drop the package prefix.
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "json: " {
		msg = msg[6:]
	}
	return "request body: " + msg
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "number"
	}
}

// writeJSON writes v as the JSON response with the given status. If v
// cannot be encoded it answers 500 instead and returns the encoding error.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error; the response could not be encoded","code":"internal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return err
}
