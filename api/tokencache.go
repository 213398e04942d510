package api

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gapmap/gapmap/data"
)

// tileTokenTTL is how long a checked API token is trusted for tile
// requests without asking the database again. A map fetches dozens of
// tiles a second with one token; tiles hold aggregates only, so a token
// revoked (or a user disabled) keeps fetching tiles for at most this long.
// Every other request checks its token in the database.
const tileTokenTTL = 5 * time.Second

// tokenCacheMax bounds the number of tokens remembered.
const tokenCacheMax = 10_000

// tokenCache remembers recently checked tokens (by their SHA-256).
type tokenCache struct {
	mu      sync.Mutex
	entries map[[32]byte]tokenCacheEntry
}

type tokenCacheEntry struct {
	user    data.User
	expires time.Time
}

// userByToken checks an API token: in the database, or for a tile request
// (GET or HEAD under /tiles/) in the cache when it was checked in the last
// tileTokenTTL.
func (s *Server) userByToken(ctx context.Context, r *http.Request, token string) (data.User, error) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !strings.HasPrefix(r.URL.Path, "/tiles/") {
		return s.deps.Store.UserByToken(ctx, token)
	}
	c := &s.tokens
	key := sha256.Sum256([]byte(token))
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.user, nil
	}
	u, err := s.deps.Store.UserByToken(ctx, token)
	if err != nil {
		return u, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= tokenCacheMax {
		c.entries = map[[32]byte]tokenCacheEntry{}
	}
	c.entries[key] = tokenCacheEntry{user: u, expires: now.Add(tileTokenTTL)}
	c.mu.Unlock()
	return u, nil
}
