// Package bufpool lends the byte buffers an answer passes through on its way out (the
// executor's parts, the encoded response, the deadline's and the response cache's
// copies). An answer is tens of kilobytes and each of those buffers lives for one
// request: allocating them afresh made the garbage collector the largest cost of an
// uncached query. A buffer is returned only by the code that knows nothing holds it
// any more; one that grew past MaxKept is left to the collector, so that one huge
// answer does not pin its memory in the pool.
package bufpool

import (
	"bytes"
	"sync"
)

// MaxKept is the largest capacity a returned buffer may have to be kept for reuse.
const MaxKept = 1 << 20

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Get returns an empty buffer.
func Get() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

// Put gives b back for reuse; b must not be used, nor its bytes read, afterwards.
func Put(b *bytes.Buffer) {
	if b == nil || b.Cap() > MaxKept {
		return
	}
	b.Reset()
	buffers.Put(b)
}

var slices = sync.Pool{New: func() any { return new([]byte) }}

// Bytes returns an empty slice with whatever capacity an earlier answer left it, as a
// pointer to give back to PutBytes.
func Bytes() *[]byte {
	p := slices.Get().(*[]byte)
	*p = (*p)[:0]
	return p
}

// PutBytes gives a slice from Bytes back, with what was appended to it since; its
// bytes must not be read afterwards.
func PutBytes(p *[]byte) {
	if p == nil || cap(*p) > MaxKept {
		return
	}
	slices.Put(p)
}
