// Package redistest gives tests a real Redis: the server named by
// SPACEGRAPH_TEST_REDIS (as .ci/run starts it), or else a redis-server started for the
// test binary on a free loopback port; the Redis Cluster named by
// SPACEGRAPH_TEST_REDIS_CLUSTER (as .ci/run starts it); and servers of a test's own,
// to stop and restart. Each caller gets its own database-wide key prefix, so tests
// share one server without seeing each other's keys.
package redistest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	once    sync.Once
	url     string
	setup   error
	counter atomic.Int64
)

// URL returns a Redis URL for the test and a key prefix unique to it. The test is
// skipped when neither SPACEGRAPH_TEST_REDIS is set nor redis-server is installed;
// with SPACEGRAPH_REQUIRE_REDIS=1 (as in CI) it fails instead.
func URL(t testing.TB) (redisURL, prefix string) {
	t.Helper()
	once.Do(func() { url, setup = start() })
	if setup != nil {
		if os.Getenv("SPACEGRAPH_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis: %v", setup)
		}
		t.Skipf("redis: %v", setup)
	}
	return url, fmt.Sprintf("test%d-%d:", os.Getpid(), counter.Add(1))
}

// ClusterURL returns the URL of the Redis Cluster named by
// SPACEGRAPH_TEST_REDIS_CLUSTER and a key prefix unique to the test. The test is
// skipped when the variable is not set, or fails with SPACEGRAPH_REQUIRE_REDIS=1.
func ClusterURL(t testing.TB) (redisURL, prefix string) {
	t.Helper()
	u := os.Getenv("SPACEGRAPH_TEST_REDIS_CLUSTER")
	if u == "" {
		const why = "SPACEGRAPH_TEST_REDIS_CLUSTER is not set (a redis+cluster:// URL, as .ci/run exports)"
		if os.Getenv("SPACEGRAPH_REQUIRE_REDIS") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	return u, fmt.Sprintf("test%d-%d:", os.Getpid(), counter.Add(1))
}

// Backend is one Redis deployment a test runs against.
type Backend struct {
	// Name is "single" or "cluster".
	Name string
	// URL and Prefix are as URL and ClusterURL return them.
	URL, Prefix string
}

// Run runs f as a subtest against a single Redis server and against a Redis Cluster
// (skipped as ClusterURL says), each with a prefix of its own.
func Run(t *testing.T, f func(t *testing.T, r Backend)) {
	t.Helper()
	t.Run("single", func(t *testing.T) {
		u, p := URL(t)
		f(t, Backend{Name: "single", URL: u, Prefix: p})
	})
	t.Run("cluster", func(t *testing.T) {
		u, p := ClusterURL(t)
		f(t, Backend{Name: "cluster", URL: u, Prefix: p})
	})
}

func start() (string, error) {
	if u := os.Getenv("SPACEGRAPH_TEST_REDIS"); u != "" {
		return u, nil
	}
	srv, err := startServer(0, "")
	if err != nil {
		return "", err
	}
	return srv.URL(), nil
}

// Server is a redis-server of a test's own, which it may pause, stop and start
// again on the same port.
type Server struct {
	port int
	dir  string
	cmd  *exec.Cmd
	// args are the server's arguments beyond port, address and persistence.
	args []string
	// scheme and query complete URL (TLS).
	scheme, query string
}

// Start starts a redis-server on a free loopback port below the ephemeral range (see
// loopbackPort) for t, stopped at its end. The test is skipped (or fails, as URL
// says) when redis-server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	srv, err := startServer(0, t.TempDir())
	if err != nil {
		if os.Getenv("SPACEGRAPH_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis: %v", err)
		}
		t.Skipf("redis: %v", err)
	}
	t.Cleanup(func() { srv.Kill() })
	return srv
}

func startServer(port int, dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not installed (apt-get install redis-server)")
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "redistest"); err != nil {
			return nil, err
		}
	}
	if port != 0 {
		srv := &Server{port: port, dir: dir, scheme: "redis"}
		return srv, srv.run(bin)
	}
	// A port found free may be taken before the server binds it (by another test
	// binary's server): then another.
	for attempt := 0; ; attempt++ {
		if port, err = loopbackPort(); err != nil {
			return nil, err
		}
		srv := &Server{port: port, dir: dir, scheme: "redis"}
		if err = srv.run(bin); err == nil || attempt == 2 {
			return srv, err
		}
	}
}

// loopbackPort returns a port free to listen on at 127.0.0.1, below the kernel's
// ephemeral range. Port 0 would give one from that range, where every outgoing
// connection (of any process) takes its local port: while a server is killed, one
// of them may take its port and hold it, and Restart would find it taken.
func loopbackPort() (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n >= 4096 {
				low = n
			}
		}
	}
	for range 100 {
		port := low/2 + mrand.IntN(low-low/2)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free loopback port between %d and %d", low/2, low)
}

// StartTLS starts a redis-server that speaks TLS only, with a certificate made for
// the test; its URL is rediss:// with skip_verify.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	if err := writeCert(dir); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("SPACEGRAPH_REQUIRE_REDIS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	srv := &Server{port: freePort(t), dir: dir, scheme: "rediss", query: "?skip_verify=true",
		args: []string{"--tls-port", "", "--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"),
			"--tls-ca-cert-file", filepath.Join(dir, "cert.pem"), "--tls-auth-clients", "no"}}
	if err := srv.run(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Kill() })
	return srv
}

// StartSentinel starts a Redis Sentinel that watches master under the name
// "mymaster"; its URL is redis+sentinel:// with that master name.
func StartSentinel(t testing.TB, master *Server) *Server {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("sentinel monitor mymaster 127.0.0.1 "+strconv.Itoa(master.port)+" 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip(err)
	}
	srv := &Server{port: freePort(t), dir: dir, scheme: "redis+sentinel", query: "?master_name=mymaster", args: []string{conf, "--sentinel"}}
	if err := srv.run(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Kill() })
	return srv
}

func freePort(t testing.TB) int {
	t.Helper()
	port, err := loopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}

func (s *Server) run(bin string) error {
	var args []string
	port := strconv.Itoa(s.port)
	switch {
	case s.scheme == "rediss":
		// The plain port is off; the TLS port is the server's port.
		args = append([]string{"--port", "0"}, s.args...)
		args[3] = port
	case strings.HasSuffix(s.scheme, "sentinel"):
		// The configuration file comes first.
		args = append(append([]string{}, s.args...), "--port", port)
	default:
		args = append([]string{"--port", port}, s.args...)
	}
	args = append(args, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd := exec.Command(bin, args...)
	// The kernel kills the server when the test binary exits, however it exits.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	// Wait until it answers PING.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s.scheme == "rediss" && dialTLS(s.Addr()) || ping(s.Addr()) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redis-server on %s did not answer", s.Addr())
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is the server's URL: redis://, rediss:// or redis+sentinel://.
func (s *Server) URL() string { return s.scheme + "://" + s.Addr() + "/0" + s.query }

// Pause stops the process (SIGSTOP): its port still accepts connections, and
// nothing answers on them, as with a server that hangs.
func (s *Server) Pause() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// Kill ends the process: connections to its port are refused until Restart. Its
// data is lost (the server keeps none on disk).
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts a killed server again on its port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.run(bin); err != nil {
		t.Fatal(err)
	}
}

// dialTLS reports whether a TLS handshake on addr succeeds.
func dialTLS(addr string) bool {
	d := &tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	return c.Close() == nil
}

func ping(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
