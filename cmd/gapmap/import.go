package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/importer/problems"
	"github.com/gapmap/gapmap/internal/termsafe"
)

// cmdImport imports one file of a kind, or every known file of a directory,
// all or nothing.
func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "import KIND FILE [--dry-run] [--replace] [--operator OP]\n       gapmap import DIR [--dry-run] [--replace | --replace-all] [--operator OP]\n\n"+
		"KIND is one of "+strings.Join(importer.Kinds(), ", ")+".\n"+
		"Tables are CSV (UTF-8 with or without BOM, ; or tab separated too) or XLSX; areas, fiber routes\n"+
		"and coverage polygons are GeoJSON. Vietnamese headers are accepted (e.g. Mã học sinh, Vĩ độ, Kinh độ).\n"+
		"Every problem is reported as FILE:ROW: column COLUMN: value \"V\": REASON, and a file with any\n"+
		"problem writes nothing. A directory is imported in dependency order in one transaction.\n"+
		"Imports of related tables run one at a time (a second one waits); a replace never deletes a student,\n"+
		"device or SIM package that a committed allocation or a handover refers to.\n"+
		"The first 20 problems are printed; with more, all of them go to gapmap-errors-KIND-TIME.csv next\n"+
		"to the input (or in the current directory), a CSV for Excel: file,row,column,value,reason.")
	dryRun := fs.Bool("dry-run", false, "check everything, database checks included, and write nothing")
	replace := fs.Bool("replace", false, "delete the existing rows of the kind (for a directory: of the kinds it holds a file of) first, in the same transaction")
	replaceAll := fs.Bool("replace-all", false, "for a directory: empty every data table first, including the kinds the directory holds no file of")
	operator := fs.String("operator", "", "import one operator's network only (sites, fiber_nodes, fiber_routes, coverage_polygons, measurements): a row of another operator is an error, and --replace deletes only this operator's rows")
	date := fs.String("date", "", "import date YYYY-MM-DD: schools and households are placed in the deepest area valid that day, and an area_code not valid that day is replaced by the valid area containing the point (default today, Vietnam time)")
	errorsTo := fs.String("errors", "", "write every problem to this CSV file (default: gapmap-errors-KIND-TIME.csv next to the input when there are more than 20)")
	if err := parseArgs(fs, args, 1, 2); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 2 && !slices.Contains(importer.Kinds(), rest[0]) && slices.Contains(importer.Kinds(), rest[1]) {
		return usageError{fmt.Sprintf("the kind comes first: gapmap import %s %s", rest[1], rest[0])}
	}
	if len(rest) == 1 {
		if slices.Contains(importer.Kinds(), rest[0]) {
			return usageError{fmt.Sprintf("import %s needs a FILE: gapmap import %s FILE", rest[0], rest[0])}
		}
		fi, statErr := os.Stat(rest[0])
		if statErr != nil {
			return fmt.Errorf("import: %w", statErr)
		}
		if !fi.IsDir() {
			return usageError{fmt.Sprintf("%s is not a directory: use gapmap import KIND FILE for one file", rest[0])}
		}
	}
	day, err := analysisDate(*date)
	if err != nil {
		return err
	}
	if *replaceAll && len(rest) != 1 {
		return usageError{"--replace-all applies to a directory only: use --replace to replace one kind"}
	}
	st, err := openStore(ctx, e, true)
	if err != nil {
		return err
	}
	defer st.Close()
	p := newProgress(e)
	stage := "import"
	opts := importer.Options{
		DryRun:   *dryRun,
		Replace:  *replace,
		Operator: strings.ToLower(strings.TrimSpace(*operator)),
		Date:     day,
		Progress: func(n int64) { p.update(stage, n, 0) },
		OnFile:   func(kind, file string) { p.done(); stage = "import " + kind + " (" + file + ")" },
		OnWait: func(tables []string) {
			fmt.Fprintf(e.stderr, "waiting for another import of %s to finish…\n", strings.Join(tables, ", "))
		},
		OnReplace: func(emptied, kept []string) {
			fmt.Fprintf(e.stderr, "replace: emptying %s", strings.Join(emptied, ", "))
			if len(kept) > 0 {
				fmt.Fprintf(e.stderr, "; keeping %s (not in the directory: --replace-all empties them too)", strings.Join(kept, ", "))
			}
			fmt.Fprintln(e.stderr)
		},
	}
	opts.ReplaceAll = *replaceAll
	var sums []importer.Summary
	if len(rest) == 1 {
		sums, err = importer.ImportDir(ctx, st, rest[0], opts)
	} else {
		var s importer.Summary
		s, err = importer.Import(ctx, st, rest[0], rest[1], opts)
		if err == nil || s.Kind != "" {
			sums = append(sums, s)
		}
	}
	p.done()
	for _, s := range sums {
		for _, w := range s.Warnings {
			fmt.Fprintln(e.stderr, "warning:", termsafe.Line(w.Error()))
		}
		if s.WarningsTruncated > 0 {
			fmt.Fprintf(e.stderr, "warning: … and %d more warnings\n", s.WarningsTruncated)
		}
	}
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		return importProblems(ctx, e, ve, rest, sums, *errorsTo)
	}
	if err != nil {
		return err
	}
	for _, s := range sums {
		fmt.Fprintln(e.stdout, s.String())
	}
	return nil
}

// importProblems prints the problems of a failed import (the first 20; all
// of them in a CSV file next to the input when there are more) and returns
// the error: the count, that nothing was written (the import is one
// transaction, rolled back), and the common mistakes recognised, one line
// each.
func importProblems(ctx context.Context, e *env, ve *data.ValidationError, rest []string, sums []importer.Summary, to string) error {
	kind, dir, in := "dir", rest[0], rest[0]
	if len(rest) == 2 {
		kind, dir, in = rest[0], filepath.Dir(rest[1]), rest[1]
	}
	printProblems(e, ve, kind, dir, to)
	var files []problems.File
	for _, s := range sums {
		path := filepath.Join(dir, s.File)
		if len(rest) == 2 {
			path = in
		}
		files = append(files, problems.File{Kind: s.Kind, Path: path, Name: s.File, Rows: s.Rows})
	}
	msg := fmt.Sprintf("import failed with %s problem(s); nothing was written", commas(ve.Len()))
	hints := importHints(ctx, ve, files)
	if len(hints) == 0 {
		return errors.New(msg + ": fix them and run it again")
	}
	return errors.New(msg + ":\n" + strings.Join(hints, "\n"))
}

// reorderFlags moves the flags of fs (with their values) in front of the
// positional arguments, so that flags may follow them
// (gapmap import schools f.csv --dry-run; gapmap handover HS1 --iccid X).
func reorderFlags(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}
