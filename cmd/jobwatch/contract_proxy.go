package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/contract"
)

// defaultProxyListen is where `contract proxy` listens unless --listen says otherwise: loopback
// only, since the traffic carries credentials.
const defaultProxyListen = "127.0.0.1:8480"

// cmdContractProxy serves a validating reverse proxy in front of --upstream until SIGTERM (or
// Ctrl-C) or --max-exchanges exchanges, then writes the reports and exits with the run's verdict.
func cmdContractProxy(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("contract proxy", e)
	o.fs.StringVar(&o.vendor, "vendor", "", "vendor: oracle, huawei, webex or tencent (required)")
	upstream := o.fs.String("upstream", "", "the `URL` to forward to: the vendor's base URL, or the simulator's (jobwatch simulate)")
	listen := o.fs.String("listen", defaultProxyListen, "the `address` to listen on")
	harOut := o.fs.String("har-out", "", "record the traffic, with credentials redacted, as a HAR `FILE`")
	maxEx := o.fs.Int("max-exchanges", 0, "stop after this many exchanges (0: run until SIGTERM)")
	o.fs.StringVar(&o.output, "output", "table", "output: table or json (one object per exchange per line, then a summary)")
	var cf contractFlags
	cf.register(o)
	if err := o.parse(args); err != nil {
		return done(err)
	}
	switch {
	case o.vendor == "" || !contains(vendors, o.vendor):
		return exitUsage, usagef("--vendor: want one of oracle, huawei, webex, tencent")
	case *upstream == "":
		return exitUsage, usagef("--upstream URL is required")
	case *maxEx < 0:
		return exitUsage, usagef("--max-exchanges %d is negative", *maxEx)
	}
	up, err := url.Parse(*upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return exitUsage, usagef("--upstream %q: want an absolute http or https URL", contractRedactURL(*upstream))
	}
	set, specs, code, err := cf.settings(o, e)
	if err != nil {
		return code, err
	}
	run := newContractRun(set, e.stdout)
	run.inputs = []string{up.Redacted()}

	var har *contract.HARWriter
	var harFile *os.File
	if *harOut != "" {
		if harFile, err = os.Create(*harOut); err != nil {
			return exitAPI, fmt.Errorf("--har-out: %w", err)
		}
		defer harFile.Close()
		har = contract.NewHARWriter(harFile, "jobwatch contract proxy")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return exitAPI, fmt.Errorf("--listen: %w", err)
	}
	stop := make(chan struct{})
	var once sync.Once
	var n int
	var mu sync.Mutex
	// recording is held (read) while an exchange is recorded, and taken (write) when shutdown begins:
	// an upgraded or stalled exchange Shutdown does not wait for must not write after har.Close.
	var recording sync.RWMutex
	stopped := false
	record := func(f func()) {
		recording.RLock()
		defer recording.RUnlock()
		if !stopped {
			f()
		}
	}
	p := &contract.Proxy{Upstream: up, Specs: specs, Transport: e.transport}
	p.OnResult = func(r contract.Result) {
		record(func() { run.add("", r) })
		mu.Lock()
		n++
		reached := *maxEx > 0 && n >= *maxEx
		mu.Unlock()
		if reached {
			once.Do(func() { close(stop) })
		}
	}
	if har != nil {
		p.OnExchange = func(ex contract.Exchange, _ contract.Result) {
			record(func() {
				if err := har.Write(ex); err != nil {
					fmt.Fprintf(e.stderr, "jobwatch contract proxy: --har-out: %v\n", err)
				}
			})
		}
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintf(e.stderr, "jobwatch contract proxy: listening on http://%s, forwarding to %s\n", ln.Addr(), up.Redacted())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case <-stop:
	case err := <-served:
		return exitAPI, err
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close()
	}
	recording.Lock()
	stopped = true
	recording.Unlock()
	if har != nil {
		if err := har.Close(); err != nil {
			fmt.Fprintf(e.stderr, "jobwatch contract proxy: --har-out: %v\n", err)
		}
	}
	return run.finish(e.stderr)
}

// contractRedactURL quotes a URL that did not parse without its userinfo.
func contractRedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
