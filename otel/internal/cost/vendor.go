package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"time"
)

// vendor is where a running vendor answers: its URL and its certificate, as -serve prints them.
type vendor struct {
	URL  string `json:"url"`
	Cert string `json:"cert"`
}

// serve answers every request with body over HTTPS, as the four vendors only answer HTTPS, prints
// where on one line, and serves until its standard input closes (the measuring process ends).
func serve(body []byte) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	srv.StartTLS()
	defer srv.Close()
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := json.NewEncoder(os.Stdout).Encode(vendor{URL: srv.URL, Cert: string(cert)}); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

// startVendor runs serve in a process of its own, so that the measured process's CPU time is the
// client's alone, as a real poll's is: the vendor's work is not jobwatch's. It returns where the vendor
// answers, and a function that stops it.
func startVendor(fixture string) (vendor, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return vendor{}, nil, err
	}
	cmd := exec.Command(exe, "-serve", "-fixture", fixture)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return vendor{}, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return vendor{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return vendor{}, nil, err
	}
	stop := func() { stdin.Close(); cmd.Wait() }
	var v vendor
	if err := json.NewDecoder(bufio.NewReader(stdout)).Decode(&v); err != nil {
		stop()
		return vendor{}, nil, fmt.Errorf("the vendor process: %w", err)
	}
	return v, stop, nil
}

// readVendor reads where a vendor started with -serve answers, from the line it printed.
func readVendor(name string) (vendor, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return vendor{}, err
	}
	var v vendor
	if err := json.Unmarshal(b, &v); err != nil {
		return vendor{}, fmt.Errorf("-vendor %s: %w", name, err)
	}
	return v, nil
}

// client is an http.Client as the sdk makes when given none (http.DefaultTransport's settings, a
// timeout per attempt, which costs a timer a request), trusting v's certificate.
func (v vendor) client() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(v.Cert)) {
		return nil, errors.New("the vendor's certificate: no PEM certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}
