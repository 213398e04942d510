package coverage

import "sort"

// ClassCounts counts by connectivity class.
type ClassCounts struct {
	Fiber int `json:"fiber"`
	G4    int `json:"4g"`
	G3    int `json:"3g"`
	G2    int `json:"2g"`
	None  int `json:"none"`
}

func (c *ClassCounts) add(class uint8, n int) {
	switch class {
	case cFiber:
		c.Fiber += n
	case c4G:
		c.G4 += n
	case c3G:
		c.G3 += n
	case c2G:
		c.G2 += n
	default:
		c.None += n
	}
}

func (c *ClassCounts) plus(o ClassCounts) {
	c.Fiber += o.Fiber
	c.G4 += o.G4
	c.G3 += o.G3
	c.G2 += o.G2
	c.None += o.None
}

// Unconnected is the count with neither fiber nor 4G.
func (c ClassCounts) Unconnected() int { return c.G3 + c.G2 + c.None }

// AreaSummary is the totals of one administrative area (its entities and
// those of its descendants).
type AreaSummary struct {
	Code        string `json:"code"`
	Name        string `json:"name,omitempty"`
	Level       string `json:"level,omitempty"`
	ParentCode  string `json:"parent_code,omitempty"`
	Environment string `json:"environment,omitempty"`

	Households       ClassCounts `json:"households"`
	Schools          ClassCounts `json:"schools"`
	Students         ClassCounts `json:"students"`          // by the class of their home
	PriorityStudents ClassCounts `json:"priority_students"` // tiers 1–3
	NoDeviceT123     ClassCounts `json:"no_device_t123"`
	// HouseholdsBy4GOperator[o] counts homes with 4G of Operators[o].
	HouseholdsBy4GOperator []int `json:"households_by_4g_operator"`
	// GapAreas counts the gap areas attributed to this area or below.
	GapAreas int `json:"gap_areas"`
}

func (a *AreaSummary) plus(o *AreaSummary) {
	a.Households.plus(o.Households)
	a.Schools.plus(o.Schools)
	a.Students.plus(o.Students)
	a.PriorityStudents.plus(o.PriorityStudents)
	a.NoDeviceT123.plus(o.NoDeviceT123)
	for k := range a.HouseholdsBy4GOperator {
		a.HouseholdsBy4GOperator[k] += o.HouseholdsBy4GOperator[k]
	}
	a.GapAreas += o.GapAreas
}

// summarize fills Areas and Total.
func (r *Result) summarize() {
	e, t := r.e, r.areas
	nOps := len(r.Operators)
	na := len(t.code)
	direct := make([]AreaSummary, na+1) // index na: no area
	for k := range direct {
		direct[k].HouseholdsBy4GOperator = make([]int, nOps)
	}
	for i := 0; i < e.n; i++ {
		a := int(e.area[i])
		if a < 0 {
			a = na
		}
		d := &direct[a]
		c := e.class[i]
		if e.kind[i] == kSchool {
			d.Schools.add(c, 1)
			continue
		}
		d.Households.add(c, 1)
		st := e.stud[i]
		d.Students.add(c, int(st[0]+st[1]+st[2]+st[3]))
		d.PriorityStudents.add(c, int(st[1]+st[2]+st[3]))
		d.NoDeviceT123.add(c, int(e.noDev[i]))
		if mk := e.covMask(g4, i); mk != 0 {
			for o := 0; o < nOps; o++ {
				if mk&(1<<o) != 0 {
					d.HouseholdsBy4GOperator[o]++
				}
			}
		}
	}
	for g := range r.Gaps {
		a := na
		if code := r.Gaps[g].AreaCode; code != "" {
			a = int(t.index[code])
		}
		direct[a].GapAreas++
	}
	total := make([]AreaSummary, na+1)
	for k := range total {
		total[k].HouseholdsBy4GOperator = make([]int, nOps)
	}
	r.Total = AreaSummary{HouseholdsBy4GOperator: make([]int, nOps)}
	for a := 0; a <= na; a++ {
		d := &direct[a]
		r.Total.plus(d)
		total[a].plus(d)
		if a == na {
			continue
		}
		seen := map[int32]bool{int32(a): true}
		for p := t.parent[a]; p >= 0 && !seen[p]; p = t.parent[p] {
			seen[p] = true
			total[p].plus(d)
		}
	}
	r.Areas = r.Areas[:0]
	for a := 0; a <= na; a++ {
		s := total[a]
		if a < na {
			s.Code, s.Name, s.Level = t.code[a], t.name[a], t.level[a]
			if p := t.parent[a]; p >= 0 {
				s.ParentCode = t.code[p]
			}
			if t.lookup != nil || r.env.given[a] != "" {
				s.Environment = r.env.get(int32(a))
			}
		} else if s.Households == (ClassCounts{}) && s.Schools == (ClassCounts{}) {
			continue
		}
		r.Areas = append(r.Areas, s)
	}
	sort.SliceStable(r.Areas, func(i, j int) bool { return r.Areas[i].Code < r.Areas[j].Code })
}
