package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// gapmap user add/list/disable/token end to end on PostGIS.
func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('24', 'Bắc Giang', 'province')`); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": url, "USER": "lan"}
	runUser := func(stdin string, args ...string) (string, string, error) {
		e, out, errs := allocTestEnv(vars)
		e.stdin = strings.NewReader(stdin)
		err := run(ctx, append([]string{"user"}, args...), e)
		return out.String(), errs.String(), err
	}

	// The first admin, with a password from stdin.
	out, _, err := runUser("mật khẩu quản trị\n", "add", "root", "--role", "admin", "--password-stdin")
	if err != nil || out != "user: added root (admin); it logs in with a password\n" {
		t.Fatalf("add root: %q %v", out, err)
	}
	u, hash, err := st.UserByName(ctx, "root")
	if err != nil || u.Role != data.RoleAdmin || hash == "" || strings.Contains(hash, "mật khẩu") {
		t.Fatalf("root: %+v %q %v", u, hash, err)
	}
	if ok, err := accounts.VerifyPassword(hash, "mật khẩu quản trị"); err != nil || !ok {
		t.Fatalf("the password read from stdin (without its newline) does not verify: %v %v", ok, err)
	}
	if _, err := accounts.New(st).Login(ctx, "root", "mật khẩu quản trị", "test"); err != nil {
		t.Fatalf("login as the new admin: %v", err)
	}
	// Flags before the name, an operator by its alias, an officer by area.
	if out, _, err := runUser("mật khẩu nhà mạng\r\n", "add", "--role", "operator", "--operator", "Mobi", "mbf.bg", "--password-stdin"); err != nil || !strings.Contains(out, "operator, operator mobifone") {
		t.Fatalf("add mbf.bg: %q %v", out, err)
	}
	// No password and stdin not a terminal: a token-only account.
	out, errs, err := runUser("", "add", "lan", "--role", "officer", "--area", "24")
	if err != nil || !strings.Contains(out, "added lan (officer, area 24); it has no password") || !strings.Contains(errs, "not a terminal") {
		t.Fatalf("add lan: %q %q %v", out, errs, err)
	}
	if _, h, _ := st.UserByName(ctx, "lan"); h != "" {
		t.Fatalf("lan has a password hash %q", h)
	}
	// Refusals: a taken name, an unknown area, a short password, no role.
	if _, _, err := runUser("", "add", "lan", "--role", "viewer"); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("a taken name: %v", err)
	}
	var ve *data.ValidationError
	if _, _, err := runUser("", "add", "hoa", "--role", "officer", "--area", "99"); !errors.As(err, &ve) || ve.Errors[0].Column != "area_code" {
		t.Fatalf("an unknown area: %v", err)
	}
	if _, _, err := runUser("short\n", "add", "hoa", "--role", "viewer", "--password-stdin"); !errors.As(err, &ve) || ve.Errors[0].Column != "password" {
		t.Fatalf("a short password: %v", err)
	}
	if _, _, err := runUser("", "add", "hoa"); !errors.As(err, &ve) || ve.Errors[0].Column != "role" {
		t.Fatalf("no role: %v", err)
	}
	if _, _, err := runUser("", "add"); !isUsage(err) {
		t.Fatalf("add without a name: %v", err)
	}
	if _, _, err := runUser("", "frobnicate"); !isUsage(err) {
		t.Fatalf("an unknown subcommand: %v", err)
	}
	if _, _, err := runUser("", "disable", "root", "--role", "admin"); !isUsage(err) {
		t.Fatalf("--role with disable: %v", err)
	}

	// A token, printed alone on a line, that the store accepts.
	out, _, err = runUser("", "token", "lan")
	tok := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(tok, postgis.TokenPrefix) || strings.Count(out, "\n") != 1 {
		t.Fatalf("token: %q %v", out, err)
	}
	if got, err := st.UserByToken(ctx, tok); err != nil || got.Name != "lan" || got.AreaCode != "24" {
		t.Fatalf("the printed token: %+v %v", got, err)
	}

	// Disable: the token stops working; list shows it.
	if out, _, err := runUser("", "disable", "lan"); err != nil || !strings.Contains(out, "disabled lan") {
		t.Fatalf("disable: %q %v", out, err)
	}
	if _, err := st.UserByToken(ctx, tok); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("a disabled user's token still works: %v", err)
	}
	if _, _, err := runUser("", "token", "lan"); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("a token for a disabled user: %v", err)
	}
	if _, _, err := runUser("", "disable", "ghost"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("disable an unknown user: %v", err)
	}
	out, _, err = runUser("", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rows []string
	for _, l := range lines {
		f := strings.Fields(l)
		rows = append(rows, strings.Join(f[:5], " "))
	}
	want := []string{"NAME ROLE OPERATOR AREA STATUS", "lan officer - 24 disabled", "mbf.bg operator mobifone - active", "root admin - - active"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Fatalf("list:\n%s", out)
	}

	// Every change is audited with the CLI actor.
	log, err := st.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Actor == "cli:lan" {
			got = append(got, log[i].Action+" "+log[i].Object)
		}
	}
	wantLog := []string{"user_add root", "user_add mbf.bg", "user_add lan", "token_create lan", "user_disable lan"}
	if strings.Join(got, "|") != strings.Join(wantLog, "|") {
		t.Fatalf("audit %q, want %q", got, wantLog)
	}
}
