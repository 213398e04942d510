package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/data/postgis"
	"golang.org/x/term"
)

const userSynopsis = `user add NAME --role ROLE [--operator OP | --area CODE] [--password-stdin]
       gapmap user list
       gapmap user disable NAME
       gapmap user token NAME

Accounts of the service. Roles: admin, planner (Sở TTTT), operator (bound to one operator
with --operator), officer (bound to one area with --area: sees students in it and below),
viewer (aggregates only). "user add" asks for the password twice on a terminal, or reads one
line from standard input with --password-stdin; no password makes an account that uses API
tokens only. "user token" prints a new API token (shown once; scripts send it as
Authorization: Bearer TOKEN). The first admin is made here.`

// cmdUser manages accounts: add, list, disable, token.
func cmdUser(ctx context.Context, e *env, args []string) error {
	sub, args, err := subcommand(e, args, userSynopsis, "user needs one of add, list, disable, token")
	if sub == "" {
		return err
	}
	fs := newFlags(e, "user "+sub, userSynopsis)
	role := fs.String("role", "", "add: admin, planner, operator, officer or viewer")
	operator := fs.String("operator", "", "add: the operator of an operator user (viettel, vinaphone/vnpt, mobifone, vietnamobile, gmobile, fpt, cmc)")
	area := fs.String("area", "", "add: the area code of an officer")
	pwStdin := fs.Bool("password-stdin", false, "add: read the password from the first line of standard input")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	wantArgs := map[string]int{"add": 1, "list": 0, "disable": 1, "token": 1}
	n, ok := wantArgs[sub]
	if !ok {
		return usageError{fmt.Sprintf("user %s: use add, list, disable or token", sub)}
	}
	if fs.NArg() != n {
		fs.Usage()
		return usageError{fmt.Sprintf("user %s takes %d argument(s)", sub, n)}
	}
	if sub != "add" && (*role != "" || *operator != "" || *area != "" || *pwStdin) {
		return usageError{"--role, --operator, --area and --password-stdin go with user add"}
	}
	actor := "cli:" + firstNonEmpty(e.getenv("GAPMAP_ACTOR"), e.getenv("USER"), "gapmap")

	var password string
	if sub == "add" {
		var err error
		if password, err = readPassword(e, *pwStdin); err != nil {
			return err
		}
	}
	st, err := openCurrentStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := accounts.New(st)
	switch sub {
	case "add":
		u, err := svc.AddUser(ctx, actor, "cli", accounts.NewUser{Name: fs.Arg(0), Role: *role, Operator: *operator, AreaCode: *area, Password: password})
		if err != nil {
			return err
		}
		how := "logs in with a password"
		if password == "" {
			how = "has no password: give it a token with gapmap user token " + u.Name
		}
		fmt.Fprintf(e.stdout, "user: added %s (%s%s); it %s\n", u.Name, u.Role, binding(u.Operator, u.AreaCode), how)
	case "list":
		us, err := svc.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tOPERATOR\tAREA\tSTATUS\tCREATED")
		for _, u := range us {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, dash(u.Operator), dash(u.AreaCode), status, u.CreatedAt.UTC().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "disable":
		u, err := svc.Disable(ctx, actor, "cli", fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user: disabled %s; its sessions and tokens no longer work\n", u.Name)
	case "token":
		tok, _, err := svc.NewToken(ctx, actor, "cli", fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, tok)
	}
	return nil
}

func binding(op, area string) string {
	switch {
	case op != "":
		return ", operator " + op
	case area != "":
		return ", area " + area
	}
	return ""
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readPassword reads the new user's password: the first line of stdin with
// --password-stdin; else twice from the terminal, not echoed; else none
// (stdin is not a terminal: a token-only account).
func readPassword(e *env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", usageError{"--password-stdin: standard input holds no password"}
		}
		return pw, nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(e.stderr, "user: standard input is not a terminal: the account gets no password (API tokens only); use --password-stdin to set one")
		return "", nil
	}
	fmt.Fprint(e.stderr, "Password (empty: API tokens only): ")
	a, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if len(a) == 0 {
		return "", nil
	}
	if why := accounts.CheckPassword(string(a)); why != "" {
		return "", usageError{why}
	}
	fmt.Fprint(e.stderr, "Password again: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if string(a) != string(b) {
		return "", usageError{"the two passwords differ"}
	}
	return string(a), nil
}

// openCurrentStore opens the database and stops when its schema is not
// current (user commands do not migrate: gapmap migrate does).
func openCurrentStore(ctx context.Context, e *env) (*postgis.Store, error) {
	return openStore(ctx, e, false)
}
