package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
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
		"device or SIM package that a committed allocation or a handover refers to.")
	dryRun := fs.Bool("dry-run", false, "check everything, database checks included, and write nothing")
	replace := fs.Bool("replace", false, "delete the existing rows of the kind (for a directory: of the kinds it holds a file of) first, in the same transaction")
	replaceAll := fs.Bool("replace-all", false, "for a directory: empty every data table first, including the kinds the directory holds no file of")
	operator := fs.String("operator", "", "import one operator's network only (sites, fiber_nodes, fiber_routes, coverage_polygons, measurements): a row of another operator is an error, and --replace deletes only this operator's rows")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) != 1 && len(rest) != 2 {
		fs.Usage()
		return usageError{"import needs KIND FILE or DIR"}
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
			fmt.Fprintln(e.stderr, "warning:", w.Error())
		}
		if s.WarningsTruncated > 0 {
			fmt.Fprintf(e.stderr, "warning: … and %d more warnings\n", s.WarningsTruncated)
		}
	}
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			fmt.Fprintln(e.stderr, fe.Error())
		}
		if ve.Truncated > 0 {
			fmt.Fprintf(e.stderr, "… and %d more errors\n", ve.Truncated)
		}
		return fmt.Errorf("import failed with %d error(s); nothing was written: fix the rows above and run it again", ve.Len())
	}
	if err != nil {
		return err
	}
	for _, s := range sums {
		fmt.Fprintln(e.stdout, s.String())
	}
	return nil
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
