package postgis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// lineString converts an orb line (lon/lat) to a go-geom LineString with
// SRID 4326.
func lineString(l orb.LineString) *geom.LineString {
	flat := make([]float64, 0, 2*len(l))
	for _, p := range l {
		flat = append(flat, p[0], p[1])
	}
	return geom.NewLineStringFlat(geom.XY, flat).SetSRID(SRID)
}

// multiPolygon converts an orb MultiPolygon (lon/lat) to go-geom with SRID
// 4326. Rings are closed when they are not.
func multiPolygon(mp orb.MultiPolygon) *geom.MultiPolygon {
	var flat []float64
	endss := make([][]int, 0, len(mp))
	for _, p := range mp {
		ends := make([]int, 0, len(p))
		for _, r := range p {
			for _, pt := range r {
				flat = append(flat, pt[0], pt[1])
			}
			if len(r) > 0 && r[0] != r[len(r)-1] {
				flat = append(flat, r[0][0], r[0][1])
			}
			ends = append(ends, len(flat))
		}
		endss = append(endss, ends)
	}
	return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(SRID)
}

// toOrbLine converts a go-geom LineString to orb.
func toOrbLine(l *geom.LineString) orb.LineString {
	if l == nil {
		return nil
	}
	fc, st := l.FlatCoords(), l.Stride()
	out := make(orb.LineString, 0, len(fc)/st)
	for i := 0; i+1 < len(fc); i += st {
		out = append(out, orb.Point{fc[i], fc[i+1]})
	}
	return out
}

// toOrbMultiPolygon converts a go-geom MultiPolygon to orb.
func toOrbMultiPolygon(mp *geom.MultiPolygon) orb.MultiPolygon {
	if mp == nil {
		return nil
	}
	fc, st := mp.FlatCoords(), mp.Stride()
	out := make(orb.MultiPolygon, 0, mp.NumPolygons())
	start := 0
	for _, ends := range mp.Endss() {
		poly := make(orb.Polygon, 0, len(ends))
		for _, end := range ends {
			r := make(orb.Ring, 0, (end-start)/st)
			for i := start; i+1 < end; i += st {
				r = append(r, orb.Point{fc[i], fc[i+1]})
			}
			poly = append(poly, r)
			start = end
		}
		out = append(out, poly)
	}
	return out
}

// DonorID is the stable id of a donor named name: a lower-case ASCII slug
// ("Quỹ Vì em" → "quy-vi-em"). Names that differ only in case, accents,
// spacing or punctuation are the same donor. A name with no letters or
// digits gets "donor-" and a hash.
func DonorID(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, err := transform.String(t, name)
	if err != nil {
		plain = name
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(plain) {
		switch {
		case r == 'đ':
			r = 'd'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		default:
			if b.Len() > 0 {
				dash = true
			}
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		h := sha256.Sum256([]byte(strings.TrimSpace(name)))
		return fmt.Sprintf("donor-%s", hex.EncodeToString(h[:4]))
	}
	return b.String()
}
