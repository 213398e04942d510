package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/format"
)

// withFileLimits applies the file-reading limits set in the environment
// (GAPMAP_MAX_LINE_BYTES, GAPMAP_MAX_FIELD_BYTES,
// GAPMAP_MAX_DECOMPRESSED_BYTES, GAPMAP_MAX_RATIO) to every file this
// command reads, uploads to serve included.
func withFileLimits(ctx context.Context, getenv func(string) string) (context.Context, error) {
	lim := format.DefaultLimits()
	set := false
	for _, v := range []struct {
		name string
		dst  *int64
	}{
		{"GAPMAP_MAX_LINE_BYTES", &lim.MaxLineBytes},
		{"GAPMAP_MAX_FIELD_BYTES", &lim.MaxFieldBytes},
		{"GAPMAP_MAX_DECOMPRESSED_BYTES", &lim.MaxDecompressedBytes},
		{"GAPMAP_MAX_RATIO", &lim.MaxRatio},
	} {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		n, err := parseBytes(raw)
		if err != nil || n == 0 {
			return ctx, usageError{fmt.Sprintf("%s=%q: write a whole number, optionally with KiB, MiB or GiB (e.g. 2MiB)", v.name, raw)}
		}
		*v.dst, set = n, true
	}
	if !set {
		return ctx, nil
	}
	return format.WithLimits(ctx, lim), nil
}

// parseBytes reads 123, 64KiB, 2MiB, 4GiB (also K, M, G, KB, MB, GB as
// binary multiples); a negative number is kept (MaxRatio < 0 disables it).
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(s)
	for _, sfx := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(u, sfx.s) {
			mult, u = sfx.m, strings.TrimSpace(strings.TrimSuffix(u, sfx.s))
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mult, nil
}
