package postgis

import (
	"encoding/binary"
	"time"
)

var pgEpoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// dateOrNull writes a yyyy-mm-dd date ("" or unreadable: NULL) as a
// binary date: days since 2000-01-01.
func (w *copyWriter) dateOrNull(s string) {
	t, err := time.Parse("2006-01-02", s)
	if s == "" || err != nil {
		w.null()
		return
	}
	days := int32(t.Sub(pgEpoch).Hours() / 24)
	if t.Before(pgEpoch) && t.Sub(pgEpoch)%(24*time.Hour) != 0 {
		days--
	}
	w.buf = binary.BigEndian.AppendUint32(w.buf, 4)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(days))
}
