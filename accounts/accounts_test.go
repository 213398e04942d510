package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func TestAddUserValidatesAndHashes(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	if _, err := st.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('24', 'Bắc Giang', 'province')`); err != nil {
		t.Fatal(err)
	}
	svc := accounts.New(st)

	// Every problem is listed at once.
	_, err := svc.AddUser(ctx, "root", "test", accounts.NewUser{Name: "bad name!", Role: "chief", Operator: "x", Password: "short"})
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	cols := map[string]bool{}
	for _, e := range ve.Errors {
		cols[e.Column] = true
		if e.Column == "password" && e.Value != "" {
			t.Fatalf("the password is echoed in the error: %+v", e)
		}
	}
	if len(ve.Errors) != 3 || !cols["name"] || !cols["role"] || !cols["password"] {
		t.Fatalf("want problems with name, role and password, got %+v", ve.Errors)
	}
	for _, in := range []accounts.NewUser{
		{Name: "op", Role: "operator"},                      // no operator
		{Name: "op", Role: "operator", Operator: "telstra"}, // unknown operator
		{Name: "of", Role: "officer"},                       // no area
		{Name: "of", Role: "officer", AreaCode: "99"},       // unknown area
		{Name: "pl", Role: "planner", AreaCode: "24"},       // area on a planner
		{Name: "vw", Role: "viewer", Operator: "viettel"},   // operator on a viewer
	} {
		if _, err := svc.AddUser(ctx, "root", "test", in); !errors.As(err, &ve) || len(ve.Errors) != 1 {
			t.Fatalf("AddUser(%+v): want one validation problem, got %v", in, err)
		}
	}

	pw := "một mật khẩu dài"
	u, err := svc.AddUser(ctx, "root", "test", accounts.NewUser{Name: "vnpt.bg", Role: "Operator", Operator: " VNPT ", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != data.RoleOperator || u.Operator != data.OpVinaphone || u.AreaCode != "" || u.Disabled {
		t.Fatalf("created %+v", u)
	}
	_, hash, err := st.UserByName(ctx, "vnpt.bg")
	if err != nil {
		t.Fatal(err)
	}
	if hash == pw || strings.Contains(hash, pw) || !strings.HasPrefix(hash, "$argon2id$v=19$") {
		t.Fatalf("stored hash %q", hash)
	}
	if ok, err := accounts.VerifyPassword(hash, pw); err != nil || !ok {
		t.Fatalf("the stored hash does not verify: %v %v", ok, err)
	}
	of, err := svc.AddUser(ctx, "root", "test", accounts.NewUser{Name: "lan", Role: "officer", AreaCode: "24"})
	if err != nil {
		t.Fatal(err)
	}
	if of.AreaCode != "24" || of.Operator != "" {
		t.Fatalf("created %+v", of)
	}
	if _, _, err := st.UserByName(ctx, "lan"); err != nil {
		t.Fatal(err)
	}
	var c *data.ConflictError
	if _, err := svc.AddUser(ctx, "root", "test", accounts.NewUser{Name: "lan", Role: "viewer"}); !errors.As(err, &c) {
		t.Fatalf("a taken name: want a conflict, got %v", err)
	}

	// Login: success, wrong password, unknown user, token-only account,
	// disabled user; each audited without the password.
	if got, err := svc.Login(ctx, "vnpt.bg", pw, "10.0.0.1"); err != nil || got.ID != u.ID {
		t.Fatalf("login: %+v %v", got, err)
	}
	for _, try := range [][2]string{{"vnpt.bg", "sai mật khẩu rồi"}, {"nobody", pw}, {"lan", pw}, {"", ""}} {
		if _, err := svc.Login(ctx, try[0], try[1], "10.0.0.1"); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("login %v: want ErrBadCredentials, got %v", try, err)
		}
	}
	if _, err := svc.Disable(ctx, "root", "test", "vnpt.bg"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, "vnpt.bg", pw, "10.0.0.1"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("a disabled user logs in: %v", err)
	}
	if _, _, err := svc.NewToken(ctx, "root", "test", "vnpt.bg"); !errors.As(err, &c) {
		t.Fatalf("a token for a disabled user: want a conflict, got %v", err)
	}
	if _, err := svc.Disable(ctx, "root", "test", "ghost"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("disable an unknown user: %v", err)
	}
	log, err := st.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if strings.Contains(string(e.Detail), pw) || strings.Contains(string(e.Detail), "sai mật khẩu") {
			t.Fatalf("the audit log holds a password: %+v", e)
		}
		var d map[string]any
		_ = json.Unmarshal(e.Detail, &d)
		got = append(got, e.Action+" "+e.Object+" "+str(d["reason"]))
	}
	want := []string{
		"user_add vnpt.bg ", "user_add lan ", "login vnpt.bg ",
		"login_failed vnpt.bg wrong password", "login_failed nobody unknown user",
		"login_failed lan account has no password (API tokens only)",
		"login_failed  empty name or password, or a password too long",
		"user_disable vnpt.bg ", "login_failed vnpt.bg user disabled",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
