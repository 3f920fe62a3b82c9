package bench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxTracked is the longest duration the quantiles tell apart; a longer one counts
// as this long in them (Max stays exact).
const maxTracked = 24 * time.Hour

// Histogram records durations. The quantiles come from an HDR histogram with two
// significant digits: exact below 256 ns, then within 0.8% of the value, in a fixed
// 40 KiB whatever the number of values, so that a long run keeps its memory
// bounded. Min, Max and Mean are exact. The zero value is empty and ready to use; a
// Histogram is not safe for concurrent use (give each client its own and Merge them).
type Histogram struct {
	hdr           *hdrhistogram.Histogram
	sum, min, max time.Duration
}

func (h *Histogram) init() {
	if h.hdr == nil {
		h.hdr = hdrhistogram.New(1, int64(maxTracked), 2)
	}
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	h.init()
	d = max(d, 0)
	// Within the histogram's range, which is all RecordValue checks.
	_ = h.hdr.RecordValue(int64(min(d, maxTracked)))
	if h.hdr.TotalCount() == 1 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.sum += d
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.Count() == 0 {
		return
	}
	h.init()
	if h.Count() == 0 || o.min < h.min {
		h.min = o.min
	}
	// Both histograms have the same range: nothing is dropped.
	h.hdr.Merge(o.hdr)
	h.max = max(h.max, o.max)
	h.sum += o.sum
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 {
	if h.hdr == nil {
		return 0
	}
	return uint64(h.hdr.TotalCount())
}

// Min returns the smallest value recorded (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest value recorded (0 when empty).
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the average of the values recorded (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if n := h.Count(); n > 0 {
		return h.sum / time.Duration(n)
	}
	return 0
}

// Quantile returns the value below or at which a fraction q (0..1) of the values
// lie, as the upper edge of its bucket, so that a latency is never understated, and
// never above Max (0 when empty).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return min(time.Duration(h.hdr.ValueAtQuantile(min(max(q, 0), 1)*100)), h.max)
}
