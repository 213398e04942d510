package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer/problems"
	"github.com/gapmap/gapmap/internal/termsafe"
)

// maxShownProblems is how many problems the CLI prints; the whole list
// goes to a CSV file it names.
const maxShownProblems = 20

// printProblems prints the first maxShownProblems problems of ve, one a
// line, sanitised. When there are more, or when to is not "", it writes
// them all to a CSV file (problems.WriteCSV): to, else
// gapmap-errors-KIND-TIME.csv in dir, else in the current directory; it
// says where, and returns the path ("" when none was written).
func printProblems(e *env, ve *data.ValidationError, kind, dir, to string) string {
	for i, fe := range ve.Errors {
		if i == maxShownProblems {
			break
		}
		fmt.Fprintln(e.stderr, termsafe.Line(fe.Error()))
	}
	n := ve.Len()
	if n <= maxShownProblems && to == "" {
		return ""
	}
	path, err := writeProblems(e, ve, kind, dir, to)
	more := ""
	if n > maxShownProblems {
		more = fmt.Sprintf("… and %s more problems (%s in all): ", commas(n-maxShownProblems), commas(n))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%sthe whole list could not be written: %s\n", more, termsafe.Line(err.Error()))
		return ""
	}
	if more == "" {
		more = fmt.Sprintf("%s problem(s): ", commas(n))
	}
	fmt.Fprintf(e.stderr, "%sthe whole list is in %s\n", more, termsafe.Line(path))
	return path
}

// writeProblems writes the CSV of ve to to, or to a new file in dir, or in
// the working directory when dir is "" or cannot be written.
func writeProblems(e *env, ve *data.ValidationError, kind, dir, to string) (string, error) {
	if to != "" {
		return to, problems.WriteFile(to, ve)
	}
	wd := e.cwd
	if wd == "" {
		wd = "."
	}
	dirs := []string{wd}
	if dir != "" && dir != wd {
		dirs = []string{dir, wd}
	}
	return problems.WriteNewFile(dirs, kind, time.Now(), ve)
}

// hintLine words one recognised mistake for the command line.
func hintLine(h problems.Hint) string {
	switch h.Kind {
	case problems.IDsExist:
		if h.All {
			return fmt.Sprintf("all %s ids of %s already exist in the database: did you mean --replace?", commas(h.Count), h.File)
		}
		return fmt.Sprintf("%s ids of %s already exist in the database (nothing else is wrong): did you mean --replace? (or remove those rows to add only the new ones)", commas(h.Count), h.File)
	case problems.OtherKind:
		return fmt.Sprintf("%s does not have the columns of its kind, but it reads as %s: this looks like a %s file (gapmap import %s FILE)", h.File, h.Other, h.Other, h.Other)
	case problems.Swapped:
		if h.All {
			return fmt.Sprintf("latitude and longitude look swapped on every row of %s (%s rows): swap the two columns (or their headers) and import again", h.File, commas(h.Count))
		}
		return fmt.Sprintf("latitude and longitude look swapped on %s rows of %s", commas(h.Count), h.File)
	case problems.MissingRefs:
		return fmt.Sprintf("all %s problems of %s are references to rows not in the database: import those first, or the whole directory at once (gapmap import DIR)", commas(h.Count), h.File)
	}
	return ""
}

// importHints recognises the common mistakes of a failed import.
func importHints(ctx context.Context, ve *data.ValidationError, files []problems.File) []string {
	var out []string
	for _, h := range problems.Hints(ctx, ve, files) {
		if l := hintLine(h); l != "" {
			out = append(out, termsafe.Line(l))
		}
	}
	return out
}

// commas writes n with thousands separators: 477,487.
func commas(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
