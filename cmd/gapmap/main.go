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
	"github.com/gapmap/gapmap/internal/termsafe"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
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
	// cwd is where files without a better place go (the lists of
	// problems); "" is the working directory.
	cwd string
	// term is stderr unfiltered, for the progress line's own control
	// sequences (nil: stderr). Everything else goes to stderr.
	term io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the HTTP API and web app", cmdServe},
		"migrate":  {"create or upgrade the PostGIS schema", cmdMigrate},
		"import":   {"import a file (areas, successors, schools, households, students, sites, fiber_nodes, fiber_routes, devices, sim_packages, coverage_polygons, measurements) or a directory", cmdImport},
		"gen":      {"generate a realistic synthetic province (or country) as exchange files", cmdGen},
		"analyze":  {"coverage analysis: who has 4G or fiber at home, gap cells and ranked gap areas", cmdAnalyze},
		"plan":     {"build-out planner: choose new sites by count or budget", cmdPlan},
		"allocate": {"allocate devices and SIM data to students", cmdAllocate},
		"handover": {"record a handover, a return, or cancel an allocation not yet handed over", cmdHandover},
		"device":   {"device lifecycle: inspect a returned device, history, liquidation (sale) and replacements", cmdDevice},
		"sims":     {"SIM service periods: SIMs ending soon, renewals (top-ups)", cmdSims},
		"export":   {"export uncovered points and reports (CSV, XLSX, GeoJSON, KML)", cmdExport},
		"report":   {"the reports owed upward: progress, donors, handovers, connectivity (XLSX, CSV, JSON)", cmdReport},
		"bench":    {"benchmarks: coverage, allocation, import", cmdBench},
		"user":     {"accounts: add, list, disable a user; issue an API token", cmdUser},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: termsafe.NewWriter(os.Stderr), term: os.Stderr, isTerminal: isTerminal(os.Stderr)}
	code := exitStatus(e, os.Args[1:], run(ctx, os.Args[1:], e))
	stop()
	os.Exit(code)
}

// exitStatus prints err, if any, on stderr and returns the exit status: 0, 1,
// or 2 for a usage error. Every line goes through the sanitiser (e.stderr is
// a termsafe.Writer in main; the lines are sanitised here too, for any writer).
// The problems of a *data.ValidationError come first, at most
// maxShownProblems of them; the whole list goes to a CSV file it names.
func exitStatus(e *env, args []string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0 // --help asked for: the usage is printed, not an error
	}
	msg := withAdvice(err).Error()
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		name := "gapmap"
		if len(args) > 0 {
			name = args[0]
		}
		printProblems(e, ve, name, "", "")
		// A problem quoted in the message stays on one line: a line
		// feed of a value does not start a line.
		for i, fe := range ve.Errors {
			if i == 100 {
				break
			}
			if raw := fe.Error(); strings.ContainsAny(raw, "\n") {
				msg = strings.ReplaceAll(msg, raw, termsafe.Line(raw))
			}
		}
	}
	fmt.Fprintln(e.stderr, "gapmap: "+termsafe.Text(msg))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
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
	ctx, err := withFileLimits(ctx, e.getenv)
	if err != nil {
		return err
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

// parseNoArgs parses the flags of a command that takes no argument, and
// refuses any argument (gapmap serve extra) with a usage error.
func parseNoArgs(fs *flag.FlagSet, args []string) error { return parseArgs(fs, args, 0, 0) }

// parseArgs parses args into fs, flags before or after the arguments, and
// checks that min to max arguments remain (max < 0: any number): else it
// prints the usage and returns a usage error naming what was given.
func parseArgs(fs *flag.FlagSet, args []string, min, max int) error {
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	n := fs.NArg()
	if n >= min && (max < 0 || n <= max) {
		return nil
	}
	fs.Usage()
	got := make([]string, n)
	for i, a := range fs.Args() {
		got[i] = strconv.Quote(a)
	}
	switch {
	case max == 0:
		return usageError{fmt.Sprintf("%s takes no arguments (got %s): flags start with --", fs.Name(), strings.Join(got, " "))}
	case n < min:
		return usageError{fmt.Sprintf("%s needs %s, got %d", fs.Name(), plural(min, "argument"), n)}
	case min == max:
		return usageError{fmt.Sprintf("%s takes %s (got %s)", fs.Name(), plural(max, "argument"), strings.Join(got, " "))}
	}
	return usageError{fmt.Sprintf("%s takes at most %s (got %s)", fs.Name(), plural(max, "argument"), strings.Join(got, " "))}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// subcommand splits off the subcommand of a command with several (gapmap
// user add …). No argument prints the synopsis and is a usage error with
// need; -h or --help prints it and is no error. sub is "" when there is
// nothing to run.
func subcommand(e *env, args []string, synopsis, need string) (sub string, rest []string, err error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: gapmap %s\n", synopsis)
		if len(args) == 0 {
			return "", nil, usageError{need}
		}
		return "", nil, nil
	}
	return args[0], args[1:], nil
}
