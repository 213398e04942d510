package api_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// newJar returns a cookie jar holding c for base.
func newJar(t *testing.T, base string, c *http.Cookie) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(mustURL(base), []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
	return jar
}
