// Package devenv builds the embedded Temporal dev server (the module in temporal/devserver) and starts
// it as a child process, for the temporal module's real-server tests and for make temporal-demo.
//
// The server is a module of its own because go.temporal.io/server is large and pins its own versions of
// the Temporal API and SDK; building it takes minutes the first time, so the binary is kept under the
// user's cache directory, keyed by the hash of the module's sources and the Go version, and built again
// only when one of them changes.
package devenv

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Server is a running dev server.
type Server struct {
	// Address is the frontend's host:port on loopback.
	Address string `json:"address"`
	// Namespace is the namespace the server created for this run.
	Namespace string `json:"namespace"`

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan error
	stopOnce sync.Once
	err      error
}

// Build is the outcome of Binary.
type Build struct {
	Path string
	// Built is false when the binary came from the cache.
	Built bool
	// Took is how long finding or building the binary took.
	Took time.Duration
}

// sourceDir is temporal/devserver in this checkout.
func sourceDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("devenv: cannot locate the source of the dev server")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "devserver")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("devenv: the dev server module is not at %s: %w", dir, err)
	}
	return dir, nil
}

// key hashes what the binary is built from: the module's files and the Go version.
func key(dir string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	names := []string{}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".go") || n == "go.mod" || n == "go.sum") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Binary returns the dev server's binary, building it first when the cache has none for the current
// sources. Build output goes to log.
func Binary(ctx context.Context, log io.Writer) (Build, error) {
	began := time.Now()
	dir, err := sourceDir()
	if err != nil {
		return Build{}, err
	}
	k, err := key(dir)
	if err != nil {
		return Build{}, fmt.Errorf("devenv: %w", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	path := filepath.Join(cache, "jobwatch", "devserver", k, "devserver")
	if _, err := os.Stat(path); err == nil {
		return Build{Path: path, Took: time.Since(began)}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Build{}, fmt.Errorf("devenv: %w", err)
	}
	// Build to a temporary name and rename: test packages built at once must not see half a binary.
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return Build{}, fmt.Errorf("devenv: building the dev server in %s: %w", dir, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return Build{}, fmt.Errorf("devenv: %w", err)
	}
	return Build{Path: path, Built: true, Took: time.Since(began)}, nil
}

// Start starts the dev server at path (from Binary) and waits until it accepts connections. Its
// stderr goes to log. The server stops with Stop, or when this process exits (it watches its stdin).
func Start(ctx context.Context, path string, log io.Writer) (*Server, error) {
	cmd := exec.Command(path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devenv: starting the dev server: %w", err)
	}
	s := &Server{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	line := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		b, err := r.ReadBytes('\n')
		if err == nil {
			err = json.Unmarshal(b, s)
		}
		line <- err
		_, _ = io.Copy(io.Discard, r)
		s.done <- cmd.Wait()
	}()
	// A server that neither answers nor exits (a port in use, a stuck database init) must not hang the
	// demo or the tests: it has startTimeout to say where it listens.
	ready := time.NewTimer(startTimeout)
	defer ready.Stop()
	select {
	case err = <-line:
	case <-ctx.Done():
		err = ctx.Err()
	case <-ready.C:
		err = fmt.Errorf("no address after %s", startTimeout)
	}
	if err == nil && (s.Address == "" || s.Namespace == "") {
		err = errors.New("the server named no address or namespace")
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("devenv: the dev server did not start: %w", err)
	}
	return s, nil
}

// startTimeout bounds how long Start waits for the server to say where it listens (it took 0.6–2.9 s
// on a loaded 2-core machine).
const startTimeout = 2 * time.Minute

// Stop stops the server: it closes its stdin, then kills it if it is still running after 10 s.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stdin.Close()
		select {
		case s.err = <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			s.err = <-s.done
		}
	})
	return s.err
}
