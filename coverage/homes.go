package coverage

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/gapmap/gapmap/data"
)

// Homes is the households as the analysis needs them (id, point, area
// code), in flat columns without a pointer per home: the ids share one
// buffer. A home takes about 30 bytes plus its id, where a data.Household
// with its id string takes about 100, and the garbage collector has
// nothing to scan. A reader of a large dataset fills Homes as it reads
// (Add) instead of keeping the records; Analyze uses Dataset.Households
// when the input has no Homes.
type Homes struct {
	ids      []byte
	ends     []uint32 // id k is ids[ends[k-1]:ends[k]] (from 0 for k = 0)
	lat, lon []float64
	code     []uint32 // index in codes
	codes    []string
	codeOf   map[string]uint32
	last     uint32 // code of the last home added (homes come grouped by area)
}

// NewHomes returns an empty table with room for about n homes.
func NewHomes(n int) *Homes {
	n = max(n, 0)
	return &Homes{ends: make([]uint32, 0, n), lat: make([]float64, 0, n), lon: make([]float64, 0, n),
		code: make([]uint32, 0, n), ids: make([]byte, 0, 12*n), codeOf: map[string]uint32{}}
}

// Add appends a household; it fails when the ids exceed 4 GiB in all or
// the homes the engine's limit.
func (h *Homes) Add(x *data.Household) error {
	if len(h.ids)+len(x.ID) > math.MaxUint32 || len(h.ends) >= math.MaxInt32-1 {
		return fmt.Errorf("more households than one analysis can hold (%d): partition the run by province", len(h.ends))
	}
	c, ok := h.last, len(h.codes) > 0 && h.codes[h.last] == x.AreaCode
	if !ok {
		c, ok = h.codeOf[x.AreaCode]
	}
	if !ok {
		// A copy: the reader's string may share a large block of memory.
		code := strings.Clone(x.AreaCode)
		c = uint32(len(h.codes))
		h.codes = append(h.codes, code)
		h.codeOf[code] = c
	}
	h.ids = append(h.ids, x.ID...)
	h.ends = append(h.ends, uint32(len(h.ids)))
	h.lat, h.lon = append(h.lat, x.Lat), append(h.lon, x.Lon)
	h.code, h.last = append(h.code, c), c
	return nil
}

// Len returns the number of homes.
func (h *Homes) Len() int { return len(h.ends) }

// ID returns the id of home k. The string shares the table's memory, which
// is never changed once written.
func (h *Homes) ID(k int) string {
	from := uint32(0)
	if k > 0 {
		from = h.ends[k-1]
	}
	if from == h.ends[k] {
		return ""
	}
	return unsafe.String(&h.ids[from], int(h.ends[k]-from))
}

// homes is the households of an input: its Homes, else its
// Dataset.Households.
type homes struct {
	t  *Homes
	hh []data.Household
}

func (in *Input) homes() homes {
	if in.Homes != nil {
		return homes{t: in.Homes}
	}
	return homes{hh: in.Dataset.Households}
}

func (v homes) len() int {
	if v.t != nil {
		return v.t.Len()
	}
	return len(v.hh)
}

func (v homes) id(k int) string {
	if v.t != nil {
		return v.t.ID(k)
	}
	return v.hh[k].ID
}

func (v homes) point(k int) (lat, lon float64) {
	if v.t != nil {
		return v.t.lat[k], v.t.lon[k]
	}
	return v.hh[k].Lat, v.hh[k].Lon
}

func (v homes) areaCode(k int) string {
	if v.t != nil {
		return v.t.codes[v.t.code[k]]
	}
	return v.hh[k].AreaCode
}
