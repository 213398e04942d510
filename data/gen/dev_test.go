package gen

import (
	"slices"
	"strings"
	"github.com/gapmap/gapmap/data"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"github.com/gapmap/gapmap/data/format"
	"github.com/paulmach/orb"
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestDev(t *testing.T) {
	areas := os.Getenv("DEV_AREAS")
	if os.Getenv("DEV") == "" {
		t.Skip()
	}
	scale, _ := strconv.ParseFloat(os.Getenv("DEV_SCALE"), 64)
	t0 := time.Now()
	st, err := Generate(context.Background(), Options{AreasPath: areas, Seed: 1, Scale: scale, OutDir: os.Getenv("DEV_OUT"), Progress: func(stage string, d, n int64) {
		if stage != "households" || d == n {
			t.Logf("%v %s %d/%d", time.Since(t0), stage, d, n)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v %+v", time.Since(t0), st)
}

func TestDevSample(t *testing.T) {
	if os.Getenv("DEV") == "" {
		t.Skip()
	}
	rg, err := buildRegion(sampleAreas(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	tot := 0.0
	for _, c := range rg.communes {
		tot += c.km2
		t.Logf("%s %-22s km2=%7.1f hh=%5d dens=%7.1f %s", c.code, c.name, c.km2, c.hh, c.density(), c.env)
	}
	t.Logf("total %.0f", tot)
}

func TestDevFit(t *testing.T) {
	if os.Getenv("DEV") == "" {
		t.Skip()
	}
	cs := sampleCommunes()
	target := []float64{1.8, 1.6, 1.5, 6, 7, 8, 25, 30, 28, 26, 160, 210, 170, 220, 24, 22, 200, 130, 210, 162}
	area := func(c [][2]float64) float64 {
		s := 0.0
		for k := range c {
			p, q := c[k], c[(k+1)%len(c)]
			s += p[0]*q[1] - q[0]*p[1]
		}
		return s / 2
	}
	for it := 0; it < 20000; it++ {
		cells := powerCells(cs)
		maxe := 0.0
		for i := range cs {
			a := 0.0
			if len(cells[i]) > 2 {
				a = area(cells[i])
			}
			e := target[i] - a
			cs[i].w += 0.05 * e
			if r := e / target[i]; r*r > maxe {
				maxe = r * r
			}
		}
		if it%5000 == 0 || maxe < 1e-6 {
			t.Logf("it %d maxrel2 %g", it, maxe)
		}
		if maxe < 1e-6 {
			break
		}
	}
	for i := range cs {
		t.Logf("%s %.1f", cs[i].code, cs[i].w)
	}
}

func TestDevRender(t *testing.T) {
	dir := os.Getenv("DEV_OUT")
	if os.Getenv("DEV") == "" || dir == "" {
		t.Skip()
	}
	ds, err := format.ReadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	b := orb.Bound{Min: orb.Point{180, 90}, Max: orb.Point{-180, -90}}
	for _, a := range ds.Areas {
		b = b.Union(a.Geom.Bound())
	}
	W := 1400
	H := int(float64(W) * (b.Max[1] - b.Min[1]) / ((b.Max[0] - b.Min[0]) * math.Cos(b.Center()[1]*math.Pi/180)))
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{250, 250, 245, 255}}, image.Point{}, draw.Src)
	px := func(lat, lon float64) (int, int) {
		return int((lon - b.Min[0]) / (b.Max[0] - b.Min[0]) * float64(W-1)), int((b.Max[1] - lat) / (b.Max[1] - b.Min[1]) * float64(H-1))
	}
	dot := func(lat, lon float64, c color.RGBA, r int) {
		x, y := px(lat, lon)
		for dx := -r; dx <= r; dx++ {
			for dy := -r; dy <= r; dy++ {
				img.Set(x+dx, y+dy, c)
			}
		}
	}
	line := func(a, bb orb.Point, c color.RGBA) {
		n := 400
		for k := 0; k <= n; k++ {
			f := float64(k) / float64(n)
			x, y := px(a[1]+f*(bb[1]-a[1]), a[0]+f*(bb[0]-a[0]))
			img.Set(x, y, c)
		}
	}
	for _, h := range ds.Households {
		c := color.RGBA{120, 120, 120, 255}
		if h.Poverty == "poor" {
			c = color.RGBA{200, 60, 60, 255}
		}
		dot(h.Lat, h.Lon, c, 0)
	}
	for _, r := range ds.FiberRoutes {
		for k := 0; k+1 < len(r.Line); k++ {
			line(r.Line[k], r.Line[k+1], color.RGBA{0, 160, 0, 255})
		}
	}
	for _, a := range ds.Areas {
		col := color.RGBA{0, 0, 0, 255}
		if a.Level != "commune" {
			continue
		}
		for _, p := range a.Geom {
			for _, ring := range p {
				for k := 0; k+1 < len(ring); k++ {
					line(ring[k], ring[k+1], col)
				}
			}
		}
	}
	slices.SortStableFunc(ds.Sectors, func(a, b data.Sector) int { return strings.Compare(b.Technology, a.Technology) })
	for _, s := range ds.Sectors {
		c := color.RGBA{0, 90, 255, 255}
		if s.Technology != "4G" {
			c = color.RGBA{255, 160, 0, 255}
		}
		dot(s.Lat, s.Lon, c, 2)
	}
	for _, s := range ds.Schools {
		dot(s.Lat, s.Lon, color.RGBA{160, 0, 200, 255}, 1)
	}
	f, _ := os.Create(dir + "/map.png")
	defer f.Close()
	png.Encode(f, img)
}

func TestDevGaps(t *testing.T) {
	dir := os.Getenv("DEV_OUT")
	if os.Getenv("DEV") == "" || dir == "" {
		t.Skip()
	}
	ds, err := format.ReadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	g := newPointGrid(0.05)
	var pts [][2]float64
	for _, s := range ds.Sectors {
		if s.Technology == "4G" && s.Status == "active" {
			g.add(s.Lat, s.Lon, len(pts))
			pts = append(pts, [2]float64{s.Lat, s.Lon})
		}
	}
	hist := map[int]int{}
	for _, h := range ds.Households {
		d := math.Inf(1)
		g.near(h.Lat, h.Lon, 3, func(i int) { d = math.Min(d, planarM(h.Lat, h.Lon, pts[i][0], pts[i][1])) })
		k := int(d / 2000)
		if k > 5 {
			k = 5
		}
		hist[k]++
	}
	t.Logf("4G distance histogram (2 km bins, last = 10+ km): %v of %d", hist, len(ds.Households))
	envs := map[string]int{}
	hh := map[string]int{}
	for _, a := range ds.Areas {
		envs[a.Environment]++
		hh[a.Environment] += a.Households
	}
	t.Logf("envs %v hh %v", envs, hh)
}
