package gen

import (
	"context"
	"fmt"
	"math"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"golang.org/x/sync/errgroup"
)

// chunk is a run of whole villages of one commune, at most about
// chunkHouseholds homes: the unit of parallel work. Its random stream
// depends only on the seed, the commune and the chunk number, so the output
// does not depend on the number of workers.
type chunk struct {
	c       *commune
	k       int
	v0, v1  int   // village range
	firstHH int64 // 0-based number of the first household
	hh      int
}

func chunksOf(communes []*commune) []chunk {
	var out []chunk
	var next int64
	for _, c := range communes {
		c.firstHH = next
		k, v0, n := 0, 0, 0
		for vi := range c.villages {
			n += c.villages[vi].hh
			if n >= chunkHouseholds || vi == len(c.villages)-1 {
				out = append(out, chunk{c: c, k: k, v0: v0, v1: vi + 1, firstHH: next, hh: n})
				next += int64(n)
				k, v0, n = k+1, vi+1, 0
			}
		}
	}
	return out
}

// chunkOut is a generated chunk: homes and their pupils (IDs of pupils are
// given by the writer, in file order).
type chunkOut struct {
	households []data.Household
	students   []data.Student
	schoolIdx  []int32
	needs      int64 // pupils of tiers 1–3
}

// genChunk generates the households of a chunk: poverty by commune rate
// and village, location scattered around the village centre and always
// inside the commune (a few known only to the village or commune), members
// and school-age children, each child with a grade, a priority tier, a
// device or not, and the nearest school of its stage.
func genChunk(seed int64, ch chunk, s *sampler, schools []*school) *chunkOut {
	c := ch.c
	p := c.params()
	r := newRand(seed, "households", c.code, uint64(ch.k))
	out := &chunkOut{households: make([]data.Household, 0, ch.hh)}
	out.students = make([]data.Student, 0, int(float64(ch.hh)*p.meanKids()*1.1))
	out.schoolIdx = make([]int32, 0, cap(out.students))
	centre := &c.villages[0]
	adults := p.popPerHH - p.meanKids()
	gw := gradeWeights()
	num := ch.firstHH
	for vi := ch.v0; vi < ch.v1; vi++ {
		v := &c.villages[vi]
		for j := 0; j < v.hh; j++ {
			num++
			h := data.Household{ID: householdID(num), AreaCode: c.code}
			u := r.Float64()
			switch {
			case u < c.poor*v.poorF:
				h.Poverty = data.PovertyPoor
			case u < (c.poor+c.near)*v.poorF:
				h.Poverty = data.PovertyNearPoor
			default:
				h.Poverty = data.PovertyNone
			}
			covid := h.Poverty == data.PovertyNone && chance(r, 0.015)
			switch u := r.Float64(); {
			case u < 0.9:
				h.Precision = data.PrecisionGPS
				h.Lat, h.Lon = s.near(r, v.lat, v.lon, v.sigmaM, 24)
			case u < 0.97:
				h.Precision = data.PrecisionVillage
				h.Lat, h.Lon = v.lat, v.lon
			default:
				h.Precision = data.PrecisionCommune
				h.Lat, h.Lon = centre.lat, centre.lon
			}
			kids := pick(r, p.kids[:])
			h.Members = kids + max(1, int(math.Round(adults+1.1*r.NormFloat64())))
			h.Members = min(h.Members, 15)
			out.households = append(out.households, h)
			for k := 0; k < kids; k++ {
				grade := pick(r, gw[:]) + 1
				st := data.Student{HouseholdID: h.ID, Grade: grade}
				pd := p.device[0]
				switch {
				case h.Poverty == data.PovertyPoor:
					st.Priority, pd = data.TierPoor, p.device[2]
				case h.Poverty == data.PovertyNearPoor:
					st.Priority, pd = data.TierNearPoor, p.device[1]
				case covid:
					st.Priority, pd = data.TierCovid, p.device[2]
					st.CovidOrphan = true // tier 3 requires the flag
				}
				if grade >= 10 {
					pd += 0.1
				}
				st.HasDevice = chance(r, pd)
				slot := slotPrimary
				switch {
				case grade >= 13:
					slot = slotPost
				case grade >= 10:
					slot = slotUpper
					if v.school[slotGDTX] >= 0 && chance(r, gdtxUpperShare) {
						slot = slotGDTX
					}
				case grade >= 6:
					slot = slotLower
				}
				si := v.school[slot]
				st.SchoolID = schools[si].ID
				if st.Priority != data.TierNone {
					out.needs++
				}
				out.students = append(out.students, st)
				out.schoolIdx = append(out.schoolIdx, si)
			}
		}
	}
	return out
}

func householdID(n int64) string { return fmt.Sprintf("HH%08d", n) }

// homeCounts are the totals of the households stage.
type homeCounts struct {
	households, students, needs int64
}

// writeHomes generates the chunks on workers and writes households.csv and
// students.csv in chunk order (two writer goroutines, one per file), with
// at most window chunks in memory. Pupils are counted per school.
func writeHomes(ctx context.Context, seed int64, workers int, chunks []chunk, samplers []*sampler, schools []*school,
	hw, sw *format.CSV, names bool, progress func(string, int64, int64)) (homeCounts, error) {
	var counts homeCounts
	var total int64
	for _, ch := range chunks {
		total += int64(ch.hh)
	}
	window := 2*workers + 2
	type job struct {
		i   int
		res chan *chunkOut
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	order := make(chan chan *chunkOut, window)
	toStudents := make(chan *chunkOut, window)
	tokens := make(chan struct{}, window)
	g.Go(func() error { // producer: hands out chunks in order, bounded
		defer close(jobs)
		defer close(order)
		for i := range chunks {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			res := make(chan *chunkOut, 1)
			select {
			case order <- res:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- job{i, res}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for j := range jobs {
				if err := ctx.Err(); err != nil {
					return err
				}
				ch := chunks[j.i]
				j.res <- genChunk(seed, ch, samplers[ch.c.i], schools)
			}
			return nil
		})
	}
	g.Go(func() error { // households writer
		defer close(toStudents)
		var done int64
		for res := range order {
			var out *chunkOut
			select {
			case out = <-res:
			case <-ctx.Done():
				return ctx.Err()
			}
			for _, h := range out.households {
				if err := hw.Write(format.HouseholdRecord(h)); err != nil {
					return fmt.Errorf("write households: %w", err)
				}
			}
			done += int64(len(out.households))
			if progress != nil {
				progress("households", done, total)
			}
			select {
			case toStudents <- out:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		counts.households = done
		return nil
	})
	g.Go(func() error { // students writer
		var n int64
		for out := range toStudents {
			for k := range out.students {
				n++
				st := out.students[k]
				st.ID = fmt.Sprintf("HS%08d", n)
				rec := format.StudentRecord(st)
				if names {
					st.FullName, st.BirthDate = pupilName(st.HouseholdID, st.ID), pupilBirthDate(st.ID, st.Grade)
					rec = format.StudentRecordWithNames(st)
				}
				if err := sw.Write(rec); err != nil {
					return fmt.Errorf("write students: %w", err)
				}
				schools[out.schoolIdx[k]].Students++
			}
			counts.needs += out.needs
			<-tokens
		}
		counts.students = n
		return nil
	})
	if err := g.Wait(); err != nil {
		return homeCounts{}, err
	}
	return counts, nil
}
