// Package netguard protects an HTTP server from clients that hold its
// connections and memory without making progress: slow-loris bodies,
// bodies whose bytes stop coming, clients that stop reading responses, and
// more connections than the server can serve.
//
//   - [Guard] wraps a handler. A request body must arrive at a minimum
//     rate: it starts with a credit of MinRate × RateWindow bytes, which
//     drains at MinRate per second and refills (up to the same cap) with
//     every byte received; when the credit runs out, or when no byte came
//     for StallTimeout, the connection's read deadline
//     ([http.ResponseController]) cuts the body, and the handler's read
//     fails with an error wrapping [os.ErrDeadlineExceeded]. The deadline is
//     moved as bytes arrive, so a body that keeps sending — a long-running
//     CMAF ingest POST — lives as long as it sends. A media body
//     (Options.IsMedia: a stream of ISOBMFF boxes) is only held to the rate
//     inside a box: between two complete boxes it may pause (a sparse text
//     track sends a small fragment per segment) up to StallTimeout.
//     Response writes get a deadline of WriteTimeout from the first byte of
//     the response, moved at every write: a client that stops reading is
//     cut, a long download that progresses is not.
//   - [Listener] caps the number of open connections; a connection beyond
//     the cap is answered "503 Service Unavailable" with Retry-After and
//     closed.
//
// The idle timeout of keep-alive connections and the header timeout are
// http.Server's own (IdleTimeout, ReadHeaderTimeout).
package netguard
