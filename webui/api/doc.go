// Package api is the local API's contract (DESIGN.md §5, docs/api.md): the
// routes, the JSON bodies of requests, answers and WebSocket events, and the
// error kinds with their codes and HTTP statuses. The server (webui), the
// node that answers (node) and the command line's client (cmd/meshmeet) all
// use these types, so a field or a code is written down once.
//
// It imports nothing of meshmeet: every package may depend on it.
package api
