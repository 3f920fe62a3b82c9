package bench

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 2^subBits buckets, so a recorded value is known within 1/2^subBits (0.8%).
const subBits = 7

const (
	subCount = 1 << subBits
	// maxExp covers values up to 2^(maxExp+subBits) ns, about 39 hours; larger
	// values go into the last bucket (Max stays exact).
	maxExp     = 40
	numBuckets = (maxExp + 1) * subCount
)

// Histogram records durations in log-linear buckets, as HdrHistogram does: exact
// below 128 ns, then within 0.8% of the value, in a fixed 41 KiB whatever the number
// of values, so that a long run keeps its memory bounded. Min, Max and Mean are
// exact. The zero value is empty and ready to use; a Histogram is not safe for
// concurrent use (give each client its own and Merge them).
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

// bucketOf returns the bucket of a value in nanoseconds.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	exp := bits.Len64(v) - subBits // ≥ 1
	if exp > maxExp {
		return numBuckets - 1
	}
	// The top subBits+1 bits of v are subCount..2*subCount-1; below the leading one
	// they number the bucket within the power of two. At exp 1 the buckets continue
	// the exact ones (index v).
	return exp*subCount + int(v>>(exp-1)) - subCount
}

// bucketValue returns the highest value of bucket i, so that quantiles never
// understate a latency.
func bucketValue(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	exp := i / subCount
	m := uint64(i%subCount + subCount)
	return (m+1)<<(exp-1) - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += d
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest value recorded (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest value recorded (0 when empty).
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the average of the values recorded (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the value below or at which a fraction q (0..1) of the values
// lie, as the upper edge of its bucket and never above Max (0 when empty).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketValue(i)), h.max)
		}
	}
	return h.max
}
