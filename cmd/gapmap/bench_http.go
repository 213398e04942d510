package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/gapmap/gapmap/api/httpbench"
	"github.com/gapmap/gapmap/data/postgis"
)

// benchHTTP measures the hex tiles and a few API endpoints on loopback
// against a per-request ST_AsMVT baseline (package api/httpbench).
func benchHTTP(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench http", "bench http [--clients N] [--duration D] [--run ID] [--min-zoom Z] [--max-zoom Z]\n\n"+
		"Needs a database with a dataset and a coverage run (gapmap gen, gapmap import --replace, gapmap analyze).\n"+
		"Starts gapmap's HTTP service and a baseline server on 127.0.0.1, then N clients fetch hex tiles of the\n"+
		"run (zooms picked uniformly, tiles holding the run's cells) and, one request in ten, TileJSON, jobs and\n"+
		"healthz from gapmap for D; then the same hex tiles from the baseline (one plain ST_AsMVT query per tile,\n"+
		"no cache) for D. Prints p50/p95/p99, throughput, errors and the throughput ratio. Creates a viewer\n"+
		"account bench-http-TIME for its token and disables it at the end.")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 30*time.Second, "duration of each phase")
	run := fs.Int64("run", 0, "coverage run (0 = the latest)")
	minZ := fs.Int("min-zoom", 6, "lowest zoom")
	maxZ := fs.Int("max-zoom", 14, "highest zoom")
	k := fs.Int("privacy-k", 5, "privacy threshold of the cells (households)")
	maxReq := fs.Int64("max-requests", 5_000_000, "bound on the requests of one phase")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole benchmark to this file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *clients < 1 || *clients > 1024 || *duration <= 0 || *duration > time.Hour {
		return usageError{"--clients must be 1–1024 and --duration at most 1h"}
	}
	st, err := openDB(ctx, e, postgis.WithMaxConns(16))
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := httpbench.Run(ctx, httpbench.Options{Store: st, Run: *run, Clients: *clients, Duration: *duration,
		MinZoom: *minZ, MaxZoom: *maxZ, PrivacyK: *k, MaxRequests: *maxReq, Seed: 1, Progress: e.stderr})
	if err != nil {
		return err
	}
	if err := rep.Write(e.stdout); err != nil {
		return err
	}
	if !rep.Met() {
		return fmt.Errorf("bench http: a target was not met")
	}
	return nil
}
