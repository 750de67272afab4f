package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// scrapeRecord is what the pass-through saw of one scrape.
type scrapeRecord struct {
	// Accept is the header the prometheus receiver sent.
	Accept string
	// Status is the target's HTTP status, 0 if it gave none.
	Status      int
	ContentType string
	// Err is a transport or body read error.
	Err      error
	Bytes    int64
	TooLarge bool
	// TooManySamples: the body had more sample lines than SampleLimit;
	// the pass-through cut it off there.
	TooManySamples bool
	SampleLimit    int64
}

// passThrough is what the prometheus receiver scrapes: a handler on
// 127.0.0.1 that fetches the target URL with the receiver's own request
// headers and hands the answer back unchanged, recording the status and
// the Content-Type the target negotiated (the receiver keeps neither), and
// cutting bodies at the size limit.
type passThrough struct {
	target     string
	client     *http.Client
	transport  *http.Transport
	limit      int64
	maxSamples int64

	mu      sync.Mutex
	records []scrapeRecord
	notify  chan struct{}
}

func newPassThrough(target string, timeout time.Duration, limit, maxSamples int64) *passThrough {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the target is fetched directly, as the receiver would
	return &passThrough{
		target:    target,
		transport: tr,
		// A little longer than the scrape timeout: the receiver gives up
		// first, and that cancels the request.
		client:     &http.Client{Transport: tr, Timeout: timeout + time.Second},
		limit:      limit,
		maxSamples: maxSamples,
		notify:     make(chan struct{}, 1),
	}
}

// forwardedHeaders are the request headers the receiver's scrape sends
// that matter to a target (content negotiation and its deadline).
var forwardedHeaders = []string{"Accept", "User-Agent", "X-Prometheus-Scrape-Timeout-Seconds"}

func (p *passThrough) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := scrapeRecord{Accept: r.Header.Get("Accept")}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.target, nil)
	if err != nil {
		rec.Err = err
		p.add(rec)
		http.Error(w, "exemplar-check: "+err.Error(), http.StatusBadGateway)
		return
	}
	for _, h := range forwardedHeaders {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		rec.Err = err
		p.add(rec)
		http.Error(w, "exemplar-check: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rec.Status = resp.StatusCode
	rec.ContentType = resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		p.add(rec)
		w.WriteHeader(resp.StatusCode)
		return
	}
	if rec.ContentType != "" {
		w.Header().Set("Content-Type", rec.ContentType)
	}
	body := &readErr{r: io.LimitReader(resp.Body, p.limit+1)}
	samples := &sampleCounter{w: w, max: p.maxSamples}
	rec.Bytes, _ = io.Copy(samples, body)
	switch {
	case samples.over:
		rec.TooManySamples, rec.SampleLimit = true, p.maxSamples
	case rec.Bytes > p.limit:
		rec.TooLarge = true
	case body.err != nil:
		rec.Err = body.err
	}
	p.add(rec)
	if samples.over {
		// Break the answer off, so that the receiver parses no part of
		// an exposition the check refuses.
		panic(http.ErrAbortHandler)
	}
}

// errTooManySamples stops the copy of a body past the sample limit.
var errTooManySamples = errors.New("too many samples")

// sampleCounter passes a body on to w and counts its sample lines (lines
// neither empty nor comments), failing past max. Memory for a scrape grows
// with its samples, not its bytes: a limit on bytes alone lets a body of
// short lines cost gigabytes.
type sampleCounter struct {
	w       io.Writer
	max     int64
	n       int64
	midLine bool // the last byte seen was not a newline
	counted bool // the current line was counted (or is a comment)
	over    bool
}

func (c *sampleCounter) Write(b []byte) (int, error) {
	for i, ch := range b {
		switch {
		case ch == '\n':
			c.midLine, c.counted = false, false
			continue
		case c.counted:
			continue
		case !c.midLine && ch == '#':
			c.counted = true // a comment, not a sample
		case ch != ' ' && ch != '\t' && ch != '\r':
			c.counted = true
			c.n++
			if c.n > c.max {
				c.over = true
				n, _ := c.w.Write(b[:i])
				return n, errTooManySamples
			}
		}
		c.midLine = true
	}
	return c.w.Write(b)
}

// readErr remembers the read error of r, so that a failing target is told
// apart from a receiver that hung up.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

func (p *passThrough) add(rec scrapeRecord) {
	p.mu.Lock()
	p.records = append(p.records, rec)
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Records returns what every scrape so far saw.
func (p *passThrough) Records() []scrapeRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]scrapeRecord(nil), p.records...)
}

// loopbackServer serves h on a free port of 127.0.0.1.
type loopbackServer struct {
	srv  *http.Server
	addr string
	done chan struct{}
}

func serveLoopback(h http.Handler) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &loopbackServer{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
		addr: ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // ends with Stop
	}()
	return s, nil
}

// Stop lets running requests finish for a moment, then closes everything.
func (s *loopbackServer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// Content types a saved exposition is served with.
const (
	contentTypeOpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	contentTypePromText    = "text/plain; version=0.0.4; charset=utf-8"
)

// fileContentType is the Content-Type to serve a saved exposition with:
// OpenMetrics if it ends with the OpenMetrics "# EOF" line, else the
// Prometheus text format.
func fileContentType(body []byte) string {
	trimmed := bytes.TrimRight(body, "\n")
	if bytes.HasSuffix(trimmed, []byte("\n# EOF")) || bytes.Equal(trimmed, []byte("# EOF")) {
		return contentTypeOpenMetrics
	}
	return contentTypePromText
}

// fileHandler serves a saved exposition, whatever the request asks for,
// as an endpoint with a fixed format does.
func fileHandler(body []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	})
}
