package protect

import (
	"net/http"
	"time"

	"github.com/rs/cors"
)

// CORS answers CORS preflights (cached by browsers for maxAge) and marks answers to
// the allowed origins ("*" for any; "https://*.example.com" patterns allowed); with no
// allowed origin it adds nothing.
func CORS(origins []string, maxAge time.Duration, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	seconds := int(maxAge / time.Second)
	if seconds <= 0 {
		seconds = -1
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"*"},
		ExposedHeaders: []string{"X-Request-Id", "ETag", "Age", "X-Cache"},
		MaxAge:         seconds,
	}).Handler(next)
}
