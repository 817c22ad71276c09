package main

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// requireBearer wraps h so that it answers only requests with
// "Authorization: Bearer token" (401 otherwise); an empty token requires
// nothing.
func requireBearer(token, realm string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
			http.Error(w, realm+" requires a bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
