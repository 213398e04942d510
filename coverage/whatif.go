package coverage

import (
	"context"
	"errors"
	"sort"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// WhatIf returns the run with sectors added (proposed or planned sites:
// their status is ignored, they count as active). Only the affected part
// is recomputed: the entities within reach of a new sector, those whose
// nearest 4G site may now be a new one, and the cells the new sectors can
// reach; the result is the same as Analyze on the dataset with the
// sectors added (tests check it). Adding an operator the run does not know
// changes every per-operator column, so that case recomputes everything.
func (r *Result) WhatIf(ctx context.Context, add []data.Sector) (*Result, error) {
	if len(add) == 0 {
		return nil, errors.New("what-if: no sectors to add")
	}
	extra := append(append([]data.Sector(nil), r.extra...), add...)
	ops, opIdx, err := operatorsOf(r.in, extra)
	if err != nil {
		return nil, err
	}
	if len(ops) != len(r.Operators) {
		return analyze(ctx, r.in, r.Settings, extra)
	}
	for i := range ops {
		if ops[i] != r.Operators[i] {
			return analyze(ctx, r.in, r.Settings, extra)
		}
	}
	s := r.Settings
	m2, err := newModel(r.in, s, ops, opIdx, r.areas, r.env, extra)
	if err != nil {
		return nil, err
	}
	old, e := r.m, r.e
	// New entities: shared inputs, copied results.
	e2 := *e
	for g := range e.cov {
		e2.cov[g] = append([]uint32(nil), e.cov[g]...)
	}
	e2.class = append([]uint8(nil), e.class...)
	e2.near4 = append([]float64(nil), e.near4...)
	e2.nearOp = append([]float64(nil), e.nearOp...)
	e2.node = append([]float64(nil), e.node...)
	e2.route = append([]float64(nil), e.route...)
	// Site indexes move: map old allSite indexes to new ones by identity.
	remap := make([]int32, len(old.allSite))
	for k, ref := range old.allSite {
		ss := &old.sites[ref.op]
		id, la, lo := ss.id[ref.idx], ss.lat[ref.idx], ss.lon[ref.idx]
		ns := &m2.sites[ref.op]
		j := sort.Search(len(ns.id), func(j int) bool {
			if ns.id[j] != id {
				return ns.id[j] > id
			}
			if ns.lat[j] != la {
				return ns.lat[j] > la
			}
			return ns.lon[j] >= lo
		})
		remap[k] = m2.siteOff[ref.op] + int32(j)
	}
	e2.near4Site = make([]int32, e.n)
	for i, k := range e.near4Site {
		if k >= 0 {
			e2.near4Site[i] = remap[k]
		} else {
			e2.near4Site[i] = -1
		}
	}

	// The new sectors, as indexes in m2.
	isNew := map[string]bool{}
	for _, x := range add {
		isNew[x.ID] = true
	}
	var newSec []int
	var boxes []geo.Box
	for k, id := range m2.sec.id {
		if isNew[id] {
			newSec = append(newSec, k)
			boxes = append(boxes, geo.RadiusBox(m2.sec.lat[k], m2.sec.lon[k], m2.sec.rangeM[k]+2*m2.cellMargin))
		}
	}
	reach := geo.NewGrid(boxes, gridStep(medianRange(m2.sec.rangeM)))
	nOps := len(ops)
	affected := make([]bool, e.n)
	w := workers(&s)
	if err := parallel(ctx, e.n, 4096, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			lat, lon := e.lat[i], e.lon[i]
			var sc geo.Scale
			scaled := false
			for _, b := range reach.At(lat, lon) {
				k := newSec[b]
				if !scaled {
					sc, scaled = geo.ScaleAt(lat), true
				}
				d := geo.ApproxDist(lat, lon, sc, m2.sec.lat[k], m2.sec.lon[k], m2.sec.scale[k])
				if d-geo.ApproxDistErrM(d) <= m2.sec.rangeM[k] {
					affected[i] = true
					break
				}
			}
			if affected[i] {
				continue
			}
			for _, k := range newSec {
				if m2.sec.group[k] != g4 {
					continue
				}
				if !scaled {
					sc, scaled = geo.ScaleAt(lat), true
				}
				o := int(m2.sec.op[k])
				d := geo.ApproxDist(lat, lon, sc, m2.sec.lat[k], m2.sec.lon[k], m2.sec.scale[k])
				if d-geo.ApproxDistErrM(d) <= e.nearOp[i*nOps+o] {
					affected[i] = true
					break
				}
			}
		}
	}); err != nil {
		return nil, err
	}
	var only []int32
	for i, a := range affected {
		if a {
			only = append(only, int32(i))
		}
	}
	if err := m2.classifyAll(ctx, &e2, only); err != nil {
		return nil, err
	}
	// Cells: those with an affected entity or within reach of a new
	// sector (their descendants' centres lie within 2 cell margins of any
	// of their entities).
	cells := make([]CellStats, len(r.Cells))
	redo := make([]bool, len(r.Cells))
	for k := range r.Cells {
		cells[k] = r.Cells[k]
		cells[k].Share4G = append([]float64(nil), r.Cells[k].Share4G...)
		lo, hi := r.runs[k], r.runs[k+1]
		for i := lo; i < hi && !redo[k]; i++ {
			redo[k] = affected[i]
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
	if err := r2.finish(ctx); err != nil {
		return nil, err
	}
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
