// Command gapmap finds students without 4G or fiber at home, ranks the gaps
// for telecom build-out and allocates donated devices and SIM data.
//
// Wiring only: flags, environment, subcommands. Each subcommand lives in its
// own file as a function cmdNAME(ctx, env, args) error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/gapmap/gapmap/data"
)

// env is what a subcommand may use from the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether stderr is a terminal (progress display).
	isTerminal bool
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the HTTP API and web app", cmdServe},
		"migrate":  {"create or upgrade the PostGIS schema", cmdMigrate},
		"import":   {"import a file (areas, schools, households, students, sites, fiber_nodes, fiber_routes, devices, sim_packages, coverage_polygons, measurements) or a directory", cmdImport},
		"gen":      {"generate a realistic synthetic province (or country) as exchange files", cmdGen},
		"analyze":  {"coverage analysis: who has 4G or fiber at home, gap cells and ranked gap areas", cmdAnalyze},
		"plan":     {"build-out planner: choose new sites by count or budget", cmdPlan},
		"allocate": {"allocate devices and SIM data to students", cmdAllocate},
		"handover": {"record a handover, a return, or cancel an allocation not yet handed over", cmdHandover},
		"export":   {"export uncovered points and reports (CSV, XLSX, GeoJSON, KML)", cmdExport},
		"bench":    {"benchmarks: coverage, allocation, import", cmdBench},
		"user":     {"accounts: add, list, disable a user; issue an API token", cmdUser},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: isTerminal(os.Stderr)}
	if err := run(ctx, os.Args[1:], e); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // --help asked for: the usage is printed, not an error
		}
		var ve *data.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				fmt.Fprintln(os.Stderr, fe.Error())
			}
			if ve.Truncated > 0 {
				fmt.Fprintf(os.Stderr, "… and %d more\n", ve.Truncated)
			}
		}
		fmt.Fprintln(os.Stderr, "gapmap:", withAdvice(err))
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(ctx context.Context, args []string, e *env) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout, cmds)
		if len(args) == 0 {
			return usageError{"no subcommand given"}
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(e.stderr, cmds)
		return usageError{fmt.Sprintf("unknown subcommand %q", args[0])}
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "gapmap — coverage gaps and device allocation for \"Sóng và máy tính cho em\"")
	fmt.Fprintln(w, "\nUsage: gapmap SUBCOMMAND [flags]   (gapmap SUBCOMMAND --help for its flags)")
	fmt.Fprintln(w, "\nSubcommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nEnvironment: DATABASE_URL (default "+defaultDatabaseURL+")")
}

const defaultDatabaseURL = "postgres://postgres:gapmap@127.0.0.1:5432/gapmap?sslmode=disable"

func databaseURL(e *env) string {
	if u := strings.TrimSpace(e.getenv("DATABASE_URL")); u != "" {
		return u
	}
	return defaultDatabaseURL
}

// newFlags returns a flag set whose usage prints the subcommand's synopsis.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: gapmap %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
