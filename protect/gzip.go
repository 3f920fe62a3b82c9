package protect

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// Gzip compresses answers for clients that accept gzip. Every ETag the gateway
// sets is weak (it names the content, not the bytes), so one tag stands for both
// encodings and need not change here.
func Gzip(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false))
	if err != nil {
		// The options are constant; NewWrapper fails only on invalid ones.
		panic(err)
	}
	return wrap(next)
}
