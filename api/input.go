package api

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// validText reports whether s is UTF-8 text without NUL bytes (what
// PostgreSQL text accepts).
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// saneInput refuses, with 400, a request whose path or query is not UTF-8
// text or holds a NUL byte: no handler or query ever sees such a value.
func (s *Server) saneInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validText(r.URL.Path) {
			s.writeError(w, r, errBadRequest("the path must be UTF-8 text without NUL bytes", nil))
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.writeError(w, r, errBadRequest("the query string is not valid: "+err.Error(), err))
			return
		}
		for k, vs := range q {
			for _, v := range append([]string{k}, vs...) {
				if !validText(v) {
					s.writeError(w, r, errBadRequest("query parameter "+strings.ToValidUTF8(k, "?")+" must be UTF-8 text without NUL bytes", nil))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
