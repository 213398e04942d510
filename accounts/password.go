package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id parameters of a password hash. They are written
// into every hash (PHC string format), so a hash made with older
// parameters still verifies after the defaults change.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams follow RFC 9106's second recommended option (argon2id,
// 64 MiB, 3 passes, 4 lanes, 128-bit salt, 256-bit key): about 60–100 ms
// per hash on this class of machine, 64 MiB per login in flight.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// Password length bounds, in characters. Long passphrases are welcome; the
// upper bound only keeps hashing cheap for the server.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// ErrMalformedHash is returned for a stored hash that is not an argon2id
// PHC string.
var ErrMalformedHash = errors.New("the stored password hash is not an argon2id PHC string")

// CheckPassword reports why a new password is refused ("" when accepted).
func CheckPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "the password is not valid UTF-8"
	case n < MinPasswordLen:
		return fmt.Sprintf("the password is too short: use at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Sprintf("the password is too long: use at most %d characters", MaxPasswordLen)
	case strings.TrimSpace(pw) == "":
		return "the password is blank"
	}
	return ""
}

// HashPassword hashes pw with argon2id and DefaultParams and returns the
// PHC string: $argon2id$v=19$m=65536,t=3,p=4$SALT$KEY (base64 without
// padding), as the users.password_hash column holds it.
func HashPassword(pw string) (string, error) {
	return HashPasswordWith(pw, DefaultParams)
}

// HashPasswordWith hashes pw with the given parameters.
func HashPasswordWith(pw string, p Params) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("argon2id parameters %+v are too weak", p)
	}
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string encoded. The
// keys are compared in constant time.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// decodeHash parses $argon2id$v=19$m=M,t=T,p=P$SALT$KEY.
func decodeHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	// Bound what a tampered row could make the server spend.
	if p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
