package slacktest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 5 * time.Second

// socketState is the Socket Mode side of the fake; guarded by Server.mu.
type socketState struct {
	tickets map[string]struct{}  // issued by apps.connections.open, each good for one dial
	open    map[*wsConn]struct{} // connections whose socket is still up
	active  *wsConn              // where envelopes go: the newest live connection
	total   int                  // successful connections so far (hello sent)
	dials   int                  // upgrades so far; numbers the connections
	sent    map[string]sentEnvelope
	acks    []Ack
}

func newSocketState() socketState {
	return socketState{tickets: map[string]struct{}{}, open: map[*wsConn]struct{}{}, sent: map[string]sentEnvelope{}}
}

func (st *socketState) openConns() []*wsConn {
	out := make([]*wsConn, 0, len(st.open))
	for c := range st.open {
		out = append(out, c)
	}
	return out
}

// wsConn is one Socket Mode connection. gorilla allows one writer at a time, so every write
// takes writeMu.
type wsConn struct {
	id        int
	ws        *websocket.Conn
	writeMu   sync.Mutex
	done      chan struct{} // closed once the connection is finished
	closeOnce sync.Once
}

func (c *wsConn) host() string { return fmt.Sprintf("applink-fake-%d", c.id) }

func (c *wsConn) write(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *wsConn) writeJSON(v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	return c.write(b)
}

func (c *wsConn) ping(n int) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteControl(websocket.PingMessage, []byte("ping-"+strconv.Itoa(n)), time.Now().Add(writeTimeout))
}

func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// helloFrame and disconnectFrame are the server frames of socketmode_hello.json and
// socketmode_disconnect_*.json, fields in the same order.
type helloFrame struct {
	Type           string `json:"type"`
	NumConnections int    `json:"num_connections"`
	DebugInfo      struct {
		Host                      string `json:"host"`
		BuildNumber               int    `json:"build_number"`
		ApproximateConnectionTime int    `json:"approximate_connection_time"`
	} `json:"debug_info"`
	ConnectionInfo struct {
		AppID string `json:"app_id"`
	} `json:"connection_info"`
}

type disconnectFrame struct {
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	DebugInfo struct {
		Host string `json:"host"`
	} `json:"debug_info"`
}

// serveLink is the Socket Mode WebSocket endpoint: it takes a one-time ticket, sends hello, pings
// at PingInterval and reads acknowledgements until the connection ends.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	_, ok := s.sock.tickets[ticket]
	delete(s.sock.tickets, ticket)
	closed := s.closed
	s.mu.Unlock()
	switch {
	case closed:
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	case !ok:
		http.Error(w, "invalid or already used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}

	c := &wsConn{ws: ws, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.bg.Add(2) // this handler and the ping loop; Close waits for both
	s.sock.open[c] = struct{}{}
	s.sock.dials++
	c.id = s.sock.dials
	hello := helloFrame{Type: "hello", NumConnections: len(s.sock.open)}
	s.mu.Unlock()
	defer s.bg.Done()
	defer s.endConn(c)

	hello.DebugInfo.Host, hello.DebugInfo.BuildNumber, hello.DebugInfo.ApproximateConnectionTime = c.host(), 10, 18060
	hello.ConnectionInfo.AppID = s.opts.AppID
	if err := c.writeJSON(hello); err != nil {
		s.bg.Done() // the ping loop never starts
		return
	}
	s.mu.Lock()
	s.sock.total++
	s.sock.active = c
	s.notifyLocked()
	s.mu.Unlock()

	go s.pingLoop(c)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		s.recordAck(data, time.Now())
	}
}

// endConn forgets a finished connection and closes it.
func (s *Server) endConn(c *wsConn) {
	s.mu.Lock()
	delete(s.sock.open, c)
	if s.sock.active == c {
		s.sock.active = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
	c.close()
}

// pingLoop sends WebSocket PINGs, one at once and then every PingInterval, as Slack does; slack-go
// treats a connection without them as dead.
func (s *Server) pingLoop(c *wsConn) {
	defer s.bg.Done()
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		if err := c.ping(n); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-s.closing:
			return
		case <-t.C:
		}
	}
}
