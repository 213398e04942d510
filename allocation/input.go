package allocation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// maxProblems bounds the problems kept in an InputError.
const maxProblems = 200

// problems collects input problems; references to unknown codes are
// grouped by code so that one missing area reads as one problem.
type problems struct {
	list    []string
	more    int
	grouped map[string]map[string]*refs // kind of problem → key → referrers
}

type refs struct {
	first []string
	n     int
}

func (p *problems) add(format string, args ...any) {
	if len(p.list) >= maxProblems {
		p.more++
		return
	}
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// ref records that who refers to key, which is wrong in the way kind says.
func (p *problems) ref(kind, key, who string) {
	if p.grouped == nil {
		p.grouped = map[string]map[string]*refs{}
	}
	m := p.grouped[kind]
	if m == nil {
		m = map[string]*refs{}
		p.grouped[kind] = m
	}
	r := m[key]
	if r == nil {
		r = &refs{}
		m[key] = r
	}
	r.n++
	if len(r.first) < 3 {
		r.first = append(r.first, who)
	}
}

// groupedFormat says what a grouped problem is and what to do about it.
func groupedFormat(kind string) string {
	switch kind {
	case "area":
		return "area code %q is not in the area tree (used by %s); add the area to the input or correct the code"
	case "school":
		return "school id %q is not among the schools (used by %s); add the school or correct the students' school_id"
	case "class":
		return "connectivity class %q is unknown (households %s); use fiber, 4g, 3g, 2g or none"
	}
	return kind + " %q: %s"
}

func (p *problems) err() error {
	kinds := make([]string, 0, len(p.grouped))
	for k := range p.grouped {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		keys := make([]string, 0, len(p.grouped[k]))
		for key := range p.grouped[k] {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			r := p.grouped[k][key]
			who := strings.Join(r.first, ", ")
			if r.n > len(r.first) {
				who += fmt.Sprintf(" and %d more", r.n-len(r.first))
			}
			p.add(groupedFormat(k), key, who)
		}
	}
	if len(p.list) == 0 {
		return nil
	}
	return &InputError{Problems: p.list, More: p.more}
}

// tree is the area tree in preorder. Node 0 is a virtual root above every
// area without a parent; it holds the stock whose AreaCode is "".
type tree struct {
	code   []string
	area   []int32 // index in Input.Areas; -1 for the root
	parent []int32
	end    []int32 // the subtree of v is the nodes [v, end[v])
	depth  []int32
	node   map[string]int32
	sorted []int32 // node of each area, areas in code order (for output)
}

func buildTree(areas []data.Area, pb *problems) *tree {
	n := len(areas)
	ord := make([]int32, n)
	for i := range ord {
		ord[i] = int32(i)
	}
	slices.SortFunc(ord, func(a, b int32) int { return strings.Compare(areas[a].Code, areas[b].Code) })
	idx := make(map[string]int32, n)
	skip := make([]bool, n)
	for k, i := range ord {
		c := areas[i].Code
		switch {
		case c == "":
			pb.add("area %q (#%d) has no code; give every area a unique code", areas[i].Name, i+1)
			skip[i] = true
		case k > 0 && areas[ord[k-1]].Code == c:
			pb.add("area code %q appears more than once; pass only the areas valid on the run date, each once", c)
			skip[i] = true
		default:
			idx[c] = i
		}
	}
	// Children as linked lists in code order; index n is the virtual root.
	head := make([]int32, n+1)
	next := make([]int32, n)
	for i := range head {
		head[i] = -1
	}
	for k := n - 1; k >= 0; k-- {
		i := ord[k]
		if skip[i] {
			continue
		}
		p := int32(n)
		if pc := areas[i].ParentCode; pc != "" {
			var ok bool
			p, ok = idx[pc]
			if !ok {
				pb.add("area %q has parent code %q, which is not among the areas; add the parent or clear parent_code", areas[i].Code, pc)
				continue
			}
		}
		next[i] = head[p]
		head[p] = i
	}
	t := &tree{node: make(map[string]int32, n+1)}
	var visit func(i, parent, depth int32)
	visit = func(i, parent, depth int32) {
		v := int32(len(t.code))
		if i == int32(n) {
			t.code = append(t.code, "")
			t.area = append(t.area, -1)
		} else {
			t.code = append(t.code, areas[i].Code)
			t.area = append(t.area, i)
			t.node[areas[i].Code] = v
		}
		t.parent = append(t.parent, parent)
		t.depth = append(t.depth, depth)
		t.end = append(t.end, 0)
		for c := head[i]; c >= 0; c = next[c] {
			visit(c, v, depth+1)
		}
		t.end[v] = int32(len(t.code))
	}
	visit(int32(n), -1, 0)
	// Areas not reached hang under a cycle of parent codes, or under an
	// area already reported (missing parent, duplicate code).
	const (
		unseen = iota
		visiting
		orphan
		cycle
	)
	status := make([]int8, n)
	var cyc []string
	var path []int32
	for _, i := range ord {
		if skip[i] || status[i] != unseen {
			continue
		}
		if _, ok := t.node[areas[i].Code]; ok {
			continue
		}
		path = path[:0]
		verdict := int8(orphan)
		for cur := i; ; {
			if st := status[cur]; st == visiting {
				verdict = cycle
				break
			} else if st != unseen {
				verdict = st
				break
			}
			status[cur] = visiting
			path = append(path, cur)
			p, ok := idx[areas[cur].ParentCode]
			if skip[cur] || !ok {
				break
			}
			cur = p
		}
		for _, a := range path {
			status[a] = verdict
			if verdict == cycle {
				cyc = append(cyc, areas[a].Code)
			}
		}
	}
	if len(cyc) > 0 {
		slices.Sort(cyc)
		if len(cyc) > 20 {
			cyc = append(cyc[:20], "…")
		}
		pb.add("areas %s never reach a root: their parent codes form a cycle; give the top area an empty parent_code", strings.Join(cyc, ", "))
	}
	t.sorted = make([]int32, 0, n)
	for _, i := range ord {
		if v, ok := t.node[areas[i].Code]; ok && t.area[v] == i {
			t.sorted = append(t.sorted, v)
		}
	}
	return t
}

// lookup returns the node of an area code ("" is the root).
func (t *tree) lookup(code string) (int32, bool) {
	if code == "" {
		return 0, true
	}
	v, ok := t.node[code]
	return v, ok
}

// schoolIndex places the schools in tree order: the schools of node v are
// positions [start[v], start[v+1]) and the schools of its subtree are
// [start[v], start[end[v]]).
type schoolIndex struct {
	orig  []int32 // position → index in Input.Schools
	node  []int32
	level []int32 // position → rules level
	start []int32 // len = nodes + 1
	pos   map[string]int32
}

func indexSchools(schools []data.School, t *tree, r *rules, pb *problems) *schoolIndex {
	n := len(schools)
	ord := make([]int32, n)
	for i := range ord {
		ord[i] = int32(i)
	}
	slices.SortFunc(ord, func(a, b int32) int { return strings.Compare(schools[a].ID, schools[b].ID) })
	nodeOf := make([]int32, n)
	count := make([]int32, len(t.code)+1)
	kept := ord[:0:0]
	for k, i := range ord {
		s := &schools[i]
		switch {
		case s.ID == "":
			pb.add("school %q (#%d) has no id; give every school a unique id", s.Name, i+1)
			continue
		case k > 0 && schools[ord[k-1]].ID == s.ID:
			pb.add("school id %q appears more than once; school ids must be unique", s.ID)
			continue
		case s.AreaCode == "":
			pb.add("school %q has no area_code; set it to the code of its area (commune or district)", s.ID)
			continue
		}
		v, ok := t.lookup(s.AreaCode)
		if !ok {
			pb.ref("area", s.AreaCode, "school "+s.ID)
			continue
		}
		nodeOf[i] = v
		count[v]++
		kept = append(kept, i)
	}
	si := &schoolIndex{
		orig:  make([]int32, len(kept)),
		node:  make([]int32, len(kept)),
		level: make([]int32, len(kept)),
		start: make([]int32, len(t.code)+1),
		pos:   make(map[string]int32, len(kept)),
	}
	var sum int32
	for v := range t.code {
		si.start[v] = sum
		sum += count[v]
	}
	si.start[len(t.code)] = sum
	cursor := slices.Clone(si.start)
	for _, i := range kept {
		v := nodeOf[i]
		p := cursor[v]
		cursor[v]++
		si.orig[p] = i
		si.node[p] = v
		si.level[p] = int32(r.level(schools[i].Level))
		si.pos[schools[i].ID] = p
	}
	return si
}
