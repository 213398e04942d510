package coverage

import (
	"context"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// WhatIf returns the run with sectors added (proposed or planned sites:
// their status is ignored, they count as active). Only what the new
// sectors can change is recomputed: the coverage of the entities within
// their reach, the nearest-site distance of an operator for the entities
// whose current nearest site of that operator is farther than a new one
// (for an operator the run did not know: every entity, one geodesic
// each), and the cells the new sectors can reach. The result is the same
// as Analyze on the dataset with the sectors added (tests check it byte
// for byte).
func (r *Result) WhatIf(ctx context.Context, add []data.Sector) (*Result, error) {
	if len(add) == 0 {
		return nil, errors.New("what-if: no sectors to add")
	}
	t0 := time.Now()
	extra := append(append([]data.Sector(nil), r.extra...), add...)
	ops, opIdx, err := operatorsOf(r.in, extra)
	if err != nil {
		return nil, err
	}
	s := r.Settings
	m2, err := newModel(r.in, s, ops, opIdx, r.areas, r.env, extra)
	if err != nil {
		return nil, err
	}
	old, e := r.m, r.e
	nOld, nOps := len(r.Operators), len(ops)
	// Operator indexes may move when the sectors bring a new operator.
	opMap := make([]int, nOld)
	var knownOps uint32
	for o, name := range r.Operators {
		opMap[o] = opIdx[name]
		knownOps |= 1 << opMap[o]
	}
	remapMask := func(mk uint32) uint32 {
		var out uint32
		for o := 0; o < nOld; o++ {
			if mk&(1<<o) != 0 {
				out |= 1 << opMap[o]
			}
		}
		return out
	}
	same := nOld == nOps
	for o := range opMap {
		same = same && opMap[o] == o
	}
	// New entities: shared inputs, copied (remapped) results.
	e2 := *e
	e2.allocCov(nOps)
	for i := 0; i < e.n; i++ {
		cov := e.covMasks(i)
		if !same {
			for g := range cov {
				cov[g] = remapMask(cov[g])
			}
		}
		e2.setCov(i, cov)
	}
	e2.class = append([]uint8(nil), e.class...)
	e2.nearOp = make([]float64, e.n*nOps)
	if same {
		copy(e2.nearOp, e.nearOp)
	} else {
		for i := range e2.nearOp {
			e2.nearOp[i] = math.Inf(1)
		}
		for i := 0; i < e.n; i++ {
			for o := 0; o < nOld; o++ {
				e2.nearOp[i*nOps+opMap[o]] = e.nearOp[i*nOld+o]
			}
		}
	}
	// Site indexes move: map old allSite indexes to new ones by identity.
	remap := make([]int32, len(old.allSite))
	for k, ref := range old.allSite {
		ss := &old.sites[ref.op]
		id, la, lo := ss.id[ref.idx], ss.lat[ref.idx], ss.lon[ref.idx]
		no := opMap[ref.op]
		ns := &m2.sites[no]
		j := sort.Search(len(ns.id), func(j int) bool {
			if ns.id[j] != id {
				return ns.id[j] > id
			}
			if ns.lat[j] != la {
				return ns.lat[j] > la
			}
			return ns.lon[j] >= lo
		})
		remap[k] = m2.siteOff[no] + int32(j)
	}
	e2.near4Site = make([]int32, e.n)
	for i, k := range e.near4Site {
		e2.near4Site[i] = -1
		if k >= 0 {
			e2.near4Site[i] = remap[k]
		}
	}

	// The new sectors, as indexes in m2, and the grid of their reach.
	isNew := map[string]bool{}
	for _, x := range add {
		isNew[x.ID] = true
	}
	var newSec, new4G []int
	var boxes []geo.Box
	for k, id := range m2.sec.id {
		if isNew[id] {
			newSec = append(newSec, k)
			boxes = append(boxes, geo.RadiusBox(m2.sec.lat[k], m2.sec.lon[k], m2.sec.rangeM[k]+2*m2.cellMargin))
			if m2.sec.group[k] == g4 {
				new4G = append(new4G, k)
			}
		}
	}
	reach := geo.NewGrid(boxes, gridStep(medianRange(m2.sec.rangeM)))
	covChanged := make([]bool, e.n)
	w := workers(&s)
	scr := make(chan *scratch, w)
	for i := 0; i < w; i++ {
		scr <- &scratch{}
	}
	if err := parallel(ctx, e.n, 2048, w, func(lo, hi int) {
		sc := <-scr
		defer func() { scr <- sc }()
		for i := lo; i < hi; i++ {
			lat, lon := e.lat[i], e.lon[i]
			pos := geo.ScaleAt(lat)
			for _, b := range reach.At(lat, lon) {
				k := newSec[b]
				d := geo.ApproxDist(lat, lon, pos, m2.sec.lat[k], m2.sec.lon[k], m2.sec.scale[k])
				if d-geo.ApproxDistErrM(d) <= m2.sec.rangeM[k] {
					covChanged[i] = true
					break
				}
			}
			if covChanged[i] {
				cov := m2.coverMasks(lat, lon, pos, e.cellOf(i))
				e2.setCov(i, cov)
			}
			// Nearest sites of the operators that got new sites.
			var redo uint32
			for _, k := range new4G {
				o := int(m2.sec.op[k])
				if redo&(1<<o) != 0 {
					continue
				}
				if knownOps&(1<<o) == 0 {
					redo |= 1 << o
					continue
				}
				d := geo.ApproxDist(lat, lon, pos, m2.sec.lat[k], m2.sec.lon[k], m2.sec.scale[k])
				if d-geo.ApproxDistErrM(d) <= e2.nearOp[i*nOps+o] {
					redo |= 1 << o
				}
			}
			if redo != 0 {
				// The overall nearest: the recomputed operators, and the
				// old best when its operator was not recomputed (it was
				// then the best of the others, ties to the lower index).
				best, bestOp, bestSite := math.Inf(1), nOps, int32(-1)
				if k := e2.near4Site[i]; k >= 0 {
					if o := int(m2.allSite[k].op); redo&(1<<o) == 0 {
						best, bestOp, bestSite = e2.nearest4(i), o, k
					}
				}
				for o := 0; o < nOps; o++ {
					if redo&(1<<o) == 0 {
						continue
					}
					d, k := m2.nearestSite(o, lat, lon, pos, sc)
					e2.nearOp[i*nOps+o] = d
					if k >= 0 && (d < best || (d == best && o < bestOp)) {
						best, bestOp, bestSite = d, o, m2.siteRefIndex(o, k)
					}
				}
				e2.near4Site[i] = bestSite
			}
			if covChanged[i] {
				e2.class[i] = m2.classOf(&e2, i)
			}
		}
	}); err != nil {
		return nil, err
	}
	// Cells: copies (remapped), recomputed where an entity's coverage may
	// have changed or a new sector can reach a descendant's centre (they
	// lie within 2 cell margins of any entity of the cell).
	cells := make([]CellStats, len(r.Cells))
	redo := make([]bool, len(r.Cells))
	for k := range r.Cells {
		c := &cells[k]
		*c = r.Cells[k]
		c.Share4G = make([]float64, nOps)
		c.Served = 0
		for o := 0; o < nOld; o++ {
			c.Share4G[opMap[o]] = r.Cells[k].Share4G[o]
		}
		c.Served = remapMask(r.Cells[k].Served)
		lo, hi := r.runs[k], r.runs[k+1]
		for i := lo; i < hi && !redo[k]; i++ {
			redo[k] = covChanged[i]
		}
		if redo[k] {
			continue
		}
		lat, lon := e.lat[lo], e.lon[lo]
		sc := geo.ScaleAt(lat)
		for _, b := range reach.At(lat, lon) {
			kk := newSec[b]
			d := geo.ApproxDist(lat, lon, sc, m2.sec.lat[kk], m2.sec.lon[kk], m2.sec.scale[kk])
			if d-geo.ApproxDistErrM(d) <= m2.sec.rangeM[kk]+2*m2.cellMargin {
				redo[k] = true
				break
			}
		}
	}
	if err := m2.buildCells(ctx, &e2, r.areas, r.runs, cells, redo); err != nil {
		return nil, err
	}
	r2 := &Result{
		Settings: s, Operators: ops, Sectors: len(m2.sec.id), Stats: r.Stats, Cells: cells,
		in: r.in, extra: extra, m: m2, e: &e2, areas: r.areas, env: r.env, runs: r.runs,
	}
	for _, x := range extra {
		r2.WhatIfSectors = append(r2.WhatIfSectors, x.ID)
	}
	t0 = r2.timed("what-if entities and cells", t0)
	if err := r2.finish(ctx); err != nil {
		return nil, err
	}
	r2.timed("rollups, gaps, totals", t0)
	return r2, nil
}

// weightedUnconnected is the weighted demand without 4G or fiber.
func (r *Result) weightedUnconnected() float64 {
	total := 0.0
	for i := 0; i < r.e.n; i++ {
		if r.e.beneficiary(i) {
			total += r.m.weight(r.e, i)
		}
	}
	return total
}

// WeightedUnconnected is the weighted demand (tier 1–3 students at home,
// schools) that has neither 4G nor fiber.
func (r *Result) WeightedUnconnected() float64 { return r.weightedUnconnected() }
