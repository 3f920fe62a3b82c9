package redistest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestStartBelowEphemeralRange checks that a server of a test's own listens below
// the kernel's ephemeral range, and that it can be killed and started again on its
// port: in that range an outgoing connection made while it is down could take the
// port.
func TestStartBelowEphemeralRange(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skipf("no ephemeral range to compare with: %v", err)
	}
	low, err := strconv.Atoi(strings.Fields(string(b))[0])
	if err != nil {
		t.Fatal(err)
	}
	srv := Start(t)
	if srv.port >= low {
		t.Errorf("port %d is in the ephemeral range, from %d", srv.port, low)
	}
	srv.Kill()
	if ping(srv.Addr()) {
		t.Fatal("the killed server still answers")
	}
	srv.Restart(t)
	if !ping(srv.Addr()) {
		t.Error("the restarted server does not answer")
	}
}
