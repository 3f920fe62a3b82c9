// Package testkit holds what the tests of several packages share: a simulated clock,
// polling until a condition holds, golden files rewritten under -update, a scripted
// fake of the network under LL2's transports, and small pieces of plumbing (a receive
// that cannot hang, a log sink safe for concurrent writers). Its subpackage redistest
// gives tests a real Redis. Only tests and the benchmark tool import the kit; the
// server never links it.
package testkit
