package main

// Protocol detection: which scrape protocol a Content-Type is, and why a
// scrape as the pass-through saw it failed.

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Scrape protocols, named as the prometheus receiver's scrape_protocols
// (and examples/googlecloud.yaml) name them.
const (
	ProtocolOpenMetrics1   = "OpenMetricsText1.0.0"
	ProtocolOpenMetrics001 = "OpenMetricsText0.0.1"
	ProtocolPromText       = "PrometheusText0.0.4"
	ProtocolPromProto      = "PrometheusProto"
)

// scrapeProtocols are the protocols the check offers, in order of
// preference, as examples/googlecloud.yaml configures the receiver.
var scrapeProtocols = []string{ProtocolOpenMetrics1, ProtocolOpenMetrics001, ProtocolPromText}

// protocolOf names the exposition format a Content-Type header declares,
// or returns ok == false if it is none the prometheus receiver can parse.
func protocolOf(contentType string) (protocol string, ok bool) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mediaType {
	case "application/openmetrics-text":
		if params["version"] == "0.0.1" {
			return ProtocolOpenMetrics001, true
		}
		return ProtocolOpenMetrics1, true
	case "text/plain":
		return ProtocolPromText, true
	case "application/vnd.google.protobuf":
		if params["proto"] == "io.prometheus.client.MetricFamily" {
			return ProtocolPromProto, true
		}
	}
	return "", false
}

// scrapeFailure returns the one-line reason a scrape as the pass-through
// saw it failed, or "" if the target gave a usable answer.
func scrapeFailure(rec scrapeRecord, timeout time.Duration, limit int64) string {
	switch {
	case rec.Err != nil && isTimeout(rec.Err):
		return "timeout: no complete answer within " + timeout.String() + " (--timeout)"
	case rec.Err != nil && errors.Is(rec.Err, syscall.ECONNREFUSED):
		return "connection refused"
	case rec.Err != nil:
		return oneLine(rec.Err.Error())
	case rec.Status != http.StatusOK:
		return "HTTP status " + strconv.Itoa(rec.Status) + " " + http.StatusText(rec.Status)
	case rec.TooLarge:
		return "the body is larger than " + strconv.FormatInt(limit, 10) + " bytes (--max-body)"
	case rec.TooManySamples:
		return "the exposition has more than " + strconv.FormatInt(rec.SampleLimit, 10) + " samples (--max-samples)"
	}
	if _, ok := protocolOf(rec.ContentType); !ok {
		return "not an exposition format: Content-Type " + strconv.Quote(rec.ContentType)
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &ne) && ne.Timeout())
}
