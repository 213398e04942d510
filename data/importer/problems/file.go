package problems

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
)

// FileName is gapmap-errors-KIND-20261201T032828Z.csv (UTC; no colons, so
// that Windows takes it too).
func FileName(kind string, t time.Time) string {
	kind = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(kind))
	return "gapmap-errors-" + kind + "-" + t.UTC().Format("20060102T150405Z") + ".csv"
}

// WriteFile writes the CSV of ve to path, replacing it.
func WriteFile(path string, ve *data.ValidationError) error {
	return writeFile(path, ve, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
}

// WriteNewFile writes the CSV of ve to a new file named FileName(kind, now)
// in the first of dirs that can be written (never overwriting: a -2, -3 …
// suffix tells files of the same second apart) and returns its path.
func WriteNewFile(dirs []string, kind string, now time.Time, ve *data.ValidationError) (string, error) {
	name := FileName(kind, now)
	var firstErr error
	for _, d := range dirs {
		path := filepath.Join(d, name)
		for i := 2; ; i++ {
			err := writeFile(path, ve, os.O_CREATE|os.O_EXCL|os.O_WRONLY)
			if err == nil {
				return path, nil
			}
			if errors.Is(err, os.ErrExist) && i < 100 {
				path = filepath.Join(d, strings.TrimSuffix(name, ".csv")+"-"+strconv.Itoa(i)+".csv")
				continue
			}
			if firstErr == nil {
				firstErr = err
			}
			break
		}
	}
	return "", firstErr
}

func writeFile(path string, ve *data.ValidationError, flag int) error {
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	if err := WriteCSV(f, ve); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
