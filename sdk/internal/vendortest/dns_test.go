package vendortest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

// nxdomainServer answers every DNS query with NXDOMAIN, on UDP on loopback, and counts the queries.
func nxdomainServer(t *testing.T) (addr string, queries *atomic.Int32) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	queries = new(atomic.Int32)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			queries.Add(1)
			// The question ends after its name (labels up to a zero byte) and QTYPE, QCLASS.
			end := 12
			for end < n && buf[end] != 0 {
				end += int(buf[end]) + 1
			}
			end += 5
			if end > n {
				continue
			}
			resp := append([]byte{}, buf[:end]...)
			resp[2] = 0x80 | (buf[2] & 0x01) // QR, RD copied
			resp[3] = 0x80 | 3               // RA, RCODE NXDOMAIN
			resp[4], resp[5] = 0, 1          // one question
			for i := 6; i < 12; i++ {        // no answer, authority or additional records
				resp[i] = 0
			}
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return pc.LocalAddr().String(), queries
}

// TestUnknownHostIsFinal: a host that does not exist (NXDOMAIN, a *net.DNSError with IsNotFound) is
// answered at once, with no retry, for every vendor: the client makes exactly the DNS queries of one
// lookup.
func TestUnknownHostIsFinal(t *testing.T) {
	addr, queries := nxdomainServer(t)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	const host = "no-such-host.jobwatch.test."
	if _, err := r.LookupHost(t.Context(), host); err == nil {
		t.Fatal("the resolver found the host")
	}
	oneLookup := queries.Swap(0)
	if oneLookup == 0 {
		t.Fatal("the resolver did not ask the test server")
	}
	for _, v := range vendors() {
		t.Run(v.name, func(t *testing.T) {
			queries.Store(0)
			tr := &http.Transport{DialContext: (&net.Dialer{Resolver: r}).DialContext}
			defer tr.CloseIdleConnections()
			c, err := v.newClient(&sdk.ClientOptions{HTTPClient: &http.Client{Transport: tr}, BaseURL: "http://" + host + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			_, err = status(t.Context(), c, v.jobID)
			var de *net.DNSError
			if !errors.As(err, &de) || !de.IsNotFound || sdk.IsTemporary(err) {
				t.Fatalf("err = %v, want a final *net.DNSError with IsNotFound", err)
			}
			if n := queries.Load(); n != oneLookup {
				t.Errorf("%d DNS queries, want %d (one lookup, no retry)", n, oneLookup)
			}
		})
	}
}
