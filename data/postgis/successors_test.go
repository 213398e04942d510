package postgis_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func TestAreaSuccessorsRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	if _, err := st.Pool().Exec(ctx, `INSERT INTO area_successors (old_code, new_code, effective, share) VALUES
		('07234', '07288', '2020-01-01', 1), ('M', 'X', '2025-07-01', 0.6), ('M', 'Y', '2025-07-01', 0.4)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO area_successors (old_code, new_code, effective, share) VALUES ('A', 'B', '2025-07-01', 1.5)`); err == nil {
		t.Error("a share above 1 was stored")
	}
	rows, err := postgis.AreaSuccessors(ctx, st.Pool())
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	want := []data.AreaSuccessor{
		{OldCode: "07234", NewCode: "07288", Effective: d("2020-01-01"), Share: 1},
		{OldCode: "M", NewCode: "X", Effective: d("2025-07-01"), Share: 0.6},
		{OldCode: "M", NewCode: "Y", Effective: d("2025-07-01"), Share: 0.4},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %+v\nwant %+v", rows, want)
	}
	s, err := st.Successors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RollUp(map[string]int{"M": 10, "07234": 3}, d("2026-01-01")); !reflect.DeepEqual(got, map[string]int{"X": 6, "Y": 4, "07288": 3}) {
		t.Errorf("roll-up %v", got)
	}
}
