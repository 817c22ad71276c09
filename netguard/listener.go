package netguard

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// refusal is what a connection over the cap is told before it is closed.
const refusal = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\ntoo many connections\n"

// maxRefusing bounds the connections being refused at once; beyond it a
// connection is closed without an answer.
const maxRefusing = 64

// Listener is a net.Listener that keeps at most Max connections open: a
// connection accepted beyond that is answered 503 with Retry-After and
// closed, and Accept goes on with the next one. Create it with Limit.
type Listener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	refusing chan struct{}
	metrics  *Metrics
	log      *slog.Logger
	logged   atomic.Int64 // unix seconds of the last "over the cap" log line
}

// Limit returns ln with at most maxConns connections open at once (<= 0:
// no cap). metrics and log may be nil.
func Limit(ln net.Listener, maxConns int, metrics *Metrics, log *slog.Logger) *Listener {
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, max: int64(maxConns), refusing: make(chan struct{}, maxRefusing),
		metrics: metrics, log: log}
}

// Open returns the number of connections open.
func (l *Listener) Open() int { return int(l.open.Load()) }

// Accept returns the next connection within the cap.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.refuse(c)
			continue
		}
		l.metrics.ConnsOpen.Inc()
		return &conn{Conn: c, l: l}, nil
	}
}

// refuse answers c 503 and closes it, in the background.
func (l *Listener) refuse(c net.Conn) {
	l.metrics.ConnsRefuse.Inc()
	if now := time.Now().Unix(); l.logged.Swap(now) < now-10 {
		l.log.Warn("connection limit reached: refusing connections", "max", l.max, "remote", c.RemoteAddr().String())
	}
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		if _, err := io.WriteString(c, refusal); err == nil {
			// Half-close and read what the client sends meanwhile, so
			// that closing does not reset the connection (and the answer
			// with it) under the client's feet.
			if cw, ok := c.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
		}
		_ = c.Close()
	}()
}

// conn is a connection counted by its Listener until it is closed.
type conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.metrics.ConnsOpen.Dec()
	})
	return err
}

// ReadFrom lets the server send files with the connection's own ReadFrom
// (sendfile), as it would without the wrapper.
func (c *conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }
