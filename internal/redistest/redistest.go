// Package redistest gives tests a real Redis: the server named by
// SPACEGRAPH_TEST_REDIS (as .ci/run starts it), or else a redis-server started for the
// test binary on a free loopback port. Each caller gets its own database-wide key
// prefix, so tests share one server without seeing each other's keys.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
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

func start() (string, error) {
	if u := os.Getenv("SPACEGRAPH_TEST_REDIS"); u != "" {
		return u, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server is not installed (apt-get install redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	// The kernel kills the server when the test binary exits, however it exits.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	// Wait until it answers PING.
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(addr) {
			return "redis://" + addr + "/0", nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("redis-server on %s did not answer", addr)
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
