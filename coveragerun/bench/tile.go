package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
)

// tileAreas writes n copies of the communes, shifted on a grid southwards
// and eastwards, each copy a province of its own with unique names and
// codes.
func tileAreas(src, dst string, n int) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var fc struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if len(fc.Features) == 0 {
		return errors.New(src + " has no features")
	}
	// Extent of the source.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var walk func(c any, fn func(p []any))
	walk = func(c any, fn func(p []any)) {
		arr, ok := c.([]any)
		if !ok || len(arr) == 0 {
			return
		}
		if _, isNum := arr[0].(float64); isNum {
			fn(arr)
			return
		}
		for _, x := range arr {
			walk(x, fn)
		}
	}
	for _, f := range fc.Features {
		g, _ := f["geometry"].(map[string]any)
		walk(g["coordinates"], func(p []any) {
			x, y := p[0].(float64), p[1].(float64)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		})
	}
	dx, dy := (maxX-minX)*1.05, (maxY-minY)*1.1
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	out := struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}{Type: "FeatureCollection"}
	for t := 0; t < n; t++ {
		ox, oy := float64(t%cols)*dx, -float64(t/cols)*dy
		suffix := fmt.Sprintf(" T%02d", t+1)
		for _, f := range fc.Features {
			props := map[string]any{}
			for k, v := range f["properties"].(map[string]any) {
				props[k] = v
			}
			for _, k := range []string{"province", "district", "commune"} {
				if s, ok := props[k].(string); ok {
					props[k] = s + suffix
				}
			}
			if c, ok := props["gso_code_2025"].(string); ok && c != "" {
				props["gso_code_2025"] = fmt.Sprintf("%s%02d", c, t+1)
			}
			delete(props, "gadm41_gid3")
			g := f["geometry"].(map[string]any)
			raw, _ := json.Marshal(g["coordinates"])
			var coords any
			_ = json.Unmarshal(raw, &coords)
			walk(coords, func(p []any) {
				p[0] = p[0].(float64) + ox
				p[1] = p[1].(float64) + oy
			})
			out.Features = append(out.Features, map[string]any{
				"type": "Feature", "properties": props,
				"geometry": map[string]any{"type": g["type"], "coordinates": coords},
			})
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := json.NewEncoder(bw).Encode(out); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
