package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldError is one problem found in an input file: where (file, row,
// column), what (value) and why (reason). Row is 1-based and counts the
// header as row 1, as a spreadsheet shows it; for GeoJSON it is the 1-based
// feature number. Column is the header as written in the file.
type FieldError struct {
	File   string `json:"file"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Error is one line safe to print on a terminal: the value is Go-quoted
// and control characters, escape sequences and invalid bytes in the file
// name, column and reason are escaped (see SafeText).
func (e FieldError) Error() string {
	var b strings.Builder
	b.WriteString(SafeText(e.File))
	if e.Row > 0 {
		fmt.Fprintf(&b, ":%d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", SafeText(e.Column))
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ": value %q", truncate(e.Value, 80))
	}
	b.WriteString(": ")
	b.WriteString(SafeText(e.Reason))
	return b.String()
}

// SafeText returns s unchanged when every character is printable (letters
// of any script, digits, punctuation, symbols, spaces); otherwise control
// characters (ESC, NUL, CR, LF, tab…), format characters (such as
// right-to-left overrides) and invalid UTF-8 bytes are written as Go
// escapes (\x1b, \x00, \n, \u202e, \xff), so text read from a file can never
// drive the terminal that prints it.
func SafeText(s string) string {
	clean := true
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				clean = false
				break
			}
		}
		if r != ' ' && !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ValidationError holds every problem found in one input; nothing was
// written when it is returned.
type ValidationError struct {
	Errors []FieldError
	// Warnings are remarks that do not stop an import (e.g. the encoding a
	// reader assumed); they are not counted by Len and do not make Err
	// non-nil. At most MaxKeptErrors are kept.
	Warnings []FieldError
	// Truncated counts errors beyond the ones kept (inputs with millions of
	// bad rows keep the first MaxKeptErrors).
	Truncated int
}

// MaxKeptErrors bounds the errors kept in a ValidationError.
const MaxKeptErrors = 10000

// Add records one error.
func (v *ValidationError) Add(e FieldError) {
	if len(v.Errors) >= MaxKeptErrors {
		v.Truncated++
		return
	}
	v.Errors = append(v.Errors, e)
}

// Warn records one warning.
func (v *ValidationError) Warn(e FieldError) {
	if len(v.Warnings) < MaxKeptErrors {
		v.Warnings = append(v.Warnings, e)
	}
}

// Len is the total number of errors found.
func (v *ValidationError) Len() int { return len(v.Errors) + v.Truncated }

// Err returns v when it holds errors, else nil.
func (v *ValidationError) Err() error {
	if v == nil || v.Len() == 0 {
		return nil
	}
	return v
}

// Error is one line: the count and the first problem. The problems are
// in Errors (a CLI prints one per line, the API lists them in details).
func (v *ValidationError) Error() string {
	if len(v.Errors) == 0 {
		return fmt.Sprintf("%d problem(s); nothing was written", v.Len())
	}
	if v.Len() == 1 {
		return "1 problem; nothing was written: " + v.Errors[0].Error()
	}
	return fmt.Sprintf("%d problems; nothing was written; the first: %s", v.Len(), v.Errors[0].Error())
}

// ErrNotFound is matched (errors.Is) by every NotFoundError.
var ErrNotFound = errors.New("not found")

// NotFoundError says which record does not exist.
type NotFoundError struct {
	Kind string // e.g. "student", "coverage run", "user"
	ID   string
}

func (e *NotFoundError) Error() string {
	if e.ID == "" {
		return e.Kind + " not found"
	}
	return fmt.Sprintf("%s %q not found", e.Kind, e.ID)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ErrConflict is matched (errors.Is) by every ConflictError.
var ErrConflict = errors.New("conflict")

// ConflictError says why a change cannot be made in the current state (a
// name taken, a job of the same kind running, a record in use).
type ConflictError struct {
	Reason string
}

func (e *ConflictError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrForbidden is returned when the acting user may not do what is asked.
var ErrForbidden = errors.New("forbidden")

// ErrSchemaOutdated is matched (errors.Is) by every SchemaError.
var ErrSchemaOutdated = errors.New("database schema out of date")

// SchemaError says that the database schema is older (or newer) than the
// one this build needs.
type SchemaError struct {
	Current, Latest int64
}

func (e *SchemaError) Error() string {
	switch {
	case e.Current == 0:
		return fmt.Sprintf("the database has no gapmap schema (this build needs version %d)", e.Latest)
	case e.Current > e.Latest:
		return fmt.Sprintf("the database schema is at version %d, newer than this build knows (%d)", e.Current, e.Latest)
	}
	return fmt.Sprintf("the database schema is at version %d, this build needs version %d", e.Current, e.Latest)
}

// Is makes errors.Is(err, ErrSchemaOutdated) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaOutdated }
