package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	pw := "mật khẩu đủ dài 123"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the default parameters", h)
	}
	if h == pw || strings.Contains(h, pw) {
		t.Fatalf("the hash holds the password: %q", h)
	}
	if parts := strings.Split(h, "$"); len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("hash %q: want a 16-byte salt and a 32-byte key in unpadded base64", h)
	}
	ok, err := VerifyPassword(h, pw)
	if err != nil || !ok {
		t.Fatalf("the right password does not verify: %v %v", ok, err)
	}
	for _, wrong := range []string{"", "mật khẩu đủ dài 12", "mật khẩu đủ dài 1234", "mat khau du dai 123"} {
		if ok, err := VerifyPassword(h, wrong); err != nil || ok {
			t.Fatalf("wrong password %q verifies: %v %v", wrong, ok, err)
		}
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	// Parameters travel with the hash: one made with other parameters verifies.
	h3, err := HashPasswordWith(pw, Params{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h3, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", h3)
	}
	if ok, err := VerifyPassword(h3, pw); err != nil || !ok {
		t.Fatalf("a hash with other parameters does not verify: %v %v", ok, err)
	}
	for _, bad := range []string{"", pw, "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=3,p=4$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=65536,t=3,p=4$!!$a2V5a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := VerifyPassword(bad, pw); !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("VerifyPassword(%q): want ErrMalformedHash, got %v", bad, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, "          ": false, "0123456789": true, "mười ký tự!": true, strings.Repeat("x", 257): false} {
		if got := CheckPassword(pw) == ""; got != ok {
			t.Errorf("CheckPassword(%q) accepted = %v, want %v", pw, got, ok)
		}
	}
}
