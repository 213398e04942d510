// Package httpbench measures gapmap's HTTP service on loopback: concurrent
// clients fetch hex tiles from z6 to z14 (and a few API endpoints) for a
// fixed time; then the same hex tiles are fetched from a baseline server
// that answers each tile with one plain ST_AsMVT query on the run's stored
// cells (no cache). It reports latency percentiles, throughput, errors and
// the throughput ratio. Every request goes to 127.0.0.1, to servers it
// starts itself, and is bounded in count and time.
package httpbench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/procstat"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Options configure a benchmark.
type Options struct {
	Store            *postgis.Store
	Run              int64         // coverage run; 0 = the latest
	Clients          int           // concurrent clients (default 64)
	Duration         time.Duration // per phase (default 30 s)
	MinZoom, MaxZoom int           // hex tile zooms (default 6–14)
	PrivacyK         int           // the service's privacy threshold (default 5)
	// MaxRequests bounds the requests of one phase (default 5,000,000).
	MaxRequests int64
	// APIEvery sends one API request in this many from the gapmap clients
	// (default 10; 0 keeps the default, negative sends none).
	APIEvery int
	Seed     uint64
	// Progress receives one line per phase (may be nil).
	Progress io.Writer
}

// Stats are the measurements of one kind of request.
type Stats struct {
	Name          string
	Requests      int64
	Errors        int64
	Bytes         int64
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// PerSecond is the throughput.
func (s Stats) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Report is the result of a benchmark.
type Report struct {
	Run            int64
	Clients        int
	Duration       time.Duration
	TilesPerZoom   map[int]int
	Hex            Stats // gapmap hex tiles, all zooms
	HexByZoom      []Stats
	API            Stats // gapmap API endpoints
	Baseline       Stats // baseline hex tiles, all zooms
	BaselineByZoom []Stats
	Ratio          float64 // Hex / Baseline throughput
	FirstErrors    []string
	// LoadBefore and LoadAfter are the machine's load averages (1, 5 and
	// 15 min, from /proc/loadavg; empty elsewhere): the figures depend on
	// what else runs.
	LoadBefore, LoadAfter string
	// CPUPerRequest is the CPU time this process (clients and server)
	// spent per request of the gapmap phase (0 when unknown): what a
	// request costs, whatever else runs on the machine.
	CPUPerRequest time.Duration
	// WarmTiles hex tiles (z0–z14) were rendered in WarmTime before the
	// gapmap phase.
	WarmTiles int
	WarmTime  time.Duration
}

// Targets of the brief.
const (
	TargetP95   = 20 * time.Millisecond
	TargetRatio = 3.0
)

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Store == nil {
		return nil, errors.New("httpbench: no store")
	}
	if o.Clients <= 0 {
		o.Clients = 64
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.MinZoom == 0 && o.MaxZoom == 0 {
		o.MinZoom, o.MaxZoom = 6, 14
	}
	if o.MinZoom < 0 || o.MaxZoom > 22 || o.MinZoom > o.MaxZoom {
		return nil, fmt.Errorf("httpbench: zooms %d–%d are not valid (0–22)", o.MinZoom, o.MaxZoom)
	}
	if o.PrivacyK <= 0 {
		o.PrivacyK = 5
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = 5_000_000
	}
	if o.APIEvery == 0 {
		o.APIEvery = 10
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	st := o.Store
	run := o.Run
	if run == 0 {
		id, err := st.LatestCoverageRunID(ctx)
		if err != nil {
			return nil, fmt.Errorf("httpbench: %w", err)
		}
		run = id
	}

	// The tiles: every tile of each zoom that holds the centre of a res-9
	// cell of the run.
	tiles := map[int][]maptile.Tile{}
	seen := map[maptile.Tile]bool{}
	err := st.HexCells(ctx, run, func(c postgis.HexCell) error {
		if c.Res != 9 {
			return nil
		}
		var ctr orb.Point
		n := float64(len(c.Outline) - 1)
		for _, p := range c.Outline[:len(c.Outline)-1] {
			ctr[0] += p[0] / n
			ctr[1] += p[1] / n
		}
		for z := o.MinZoom; z <= o.MaxZoom; z++ {
			t := maptile.At(ctr, maptile.Zoom(z))
			if !seen[t] {
				seen[t] = true
				tiles[z] = append(tiles[z], t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("httpbench: %w", err)
	}
	if len(tiles[o.MaxZoom]) == 0 {
		return nil, fmt.Errorf("httpbench: coverage run %d has no res-9 cells: load a dataset and analyse it first", run)
	}

	// A viewer account for the benchmark, disabled at the end.
	name := fmt.Sprintf("bench-http-%d", time.Now().UnixNano())
	user, err := st.CreateUser(ctx, data.User{Name: name, Role: data.RoleViewer}, "")
	if err != nil {
		return nil, fmt.Errorf("httpbench: create the benchmark user: %w", err)
	}
	defer func() { _ = st.SetUserDisabled(context.WithoutCancel(ctx), name, true) }()
	token, err := st.NewToken(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("httpbench: %w", err)
	}

	srvCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := api.DefaultConfig()
	cfg.PrivacyK = o.PrivacyK
	gm := api.NewServer(srvCtx, api.Deps{Store: st, Config: cfg})
	defer func() { _ = gm.Close(context.WithoutCancel(ctx)) }()
	gmURL, stopGM, err := serve(gm)
	if err != nil {
		return nil, err
	}
	defer stopGM()
	baseURL, stopBase, err := serve(Baseline(st, run, o.PrivacyK))
	if err != nil {
		return nil, err
	}
	defer stopBase()

	rep := &Report{Run: run, Clients: o.Clients, Duration: o.Duration, TilesPerZoom: map[int]int{}, LoadBefore: procstat.LoadAvg()}
	for z, ts := range tiles {
		rep.TilesPerZoom[z] = len(ts)
	}
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: 2 * o.Clients, MaxIdleConnsPerHost: 2 * o.Clients, DisableCompression: true,
			IdleConnTimeout: 30 * time.Second,
		},
	}
	defer client.CloseIdleConnections()

	hexURL := func(base string, t maptile.Tile) string {
		return fmt.Sprintf("%s/tiles/cells/%d/%d/%d.mvt?run=%d", base, t.Z, t.X, t.Y, run)
	}
	apiPaths := []string{"/tiles/cells.json?run=" + strconv.FormatInt(run, 10), "/api/v1/jobs", "/healthz"}

	fmt.Fprintf(o.Progress, "bench http: run %d, %d clients, %s per phase; gapmap at %s, baseline at %s\n", run, o.Clients, o.Duration, gmURL, baseURL)
	// The service renders a run's hex tiles when it first loads the run;
	// the measurement starts once that is done (timed and reported).
	t0 := time.Now()
	if rep.WarmTiles, err = gm.WarmTiles(ctx, run); err != nil {
		return nil, fmt.Errorf("httpbench: warm the tiles: %w", err)
	}
	rep.WarmTime = time.Since(t0)
	fmt.Fprintf(o.Progress, "bench http: %d hex tiles of run %d rendered in %s\n", rep.WarmTiles, run, rep.WarmTime.Round(time.Millisecond))
	cpu0, cpuOK0 := procstat.CPU()
	g := drive(ctx, client, o, tiles, token, func(t maptile.Tile) string { return hexURL(gmURL, t) }, gmURL, apiPaths)
	cpu1, cpuOK1 := procstat.CPU()
	if n := g.hex.Requests + g.api.Requests; cpuOK0 && cpuOK1 && n > 0 {
		rep.CPUPerRequest = (cpu1 - cpu0) / time.Duration(n)
	}
	fmt.Fprintf(o.Progress, "bench http: gapmap phase done: %d hex tiles, %d API requests\n", g.hex.Requests, g.api.Requests)
	b := drive(ctx, client, o, tiles, "", func(t maptile.Tile) string { return hexURL(baseURL, t) }, baseURL, nil)
	fmt.Fprintf(o.Progress, "bench http: baseline phase done: %d hex tiles\n", b.hex.Requests)

	rep.Hex, rep.HexByZoom, rep.API = g.hex, g.byZoom, g.api
	rep.Baseline, rep.BaselineByZoom = b.hex, b.byZoom
	rep.Hex.Name, rep.API.Name, rep.Baseline.Name = "gapmap hex tiles", "gapmap API", "baseline hex tiles (ST_AsMVT per request)"
	if rep.Baseline.PerSecond() > 0 {
		rep.Ratio = rep.Hex.PerSecond() / rep.Baseline.PerSecond()
	}
	rep.FirstErrors = append(g.errs, b.errs...)
	rep.LoadAfter = procstat.LoadAvg()
	return rep, ctx.Err()
}

// serve serves h on a loopback port until stop.
func serve(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("httpbench: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// Baseline serves the hex tiles of a run the plain way: one ST_AsMVT query
// on coverage_cells per request (resolution by zoom as the service), gzip
// when accepted, 204 when empty. It checks no token.
func Baseline(st *postgis.Store, run int64, privacyK int) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tiles/cells/{z}/{x}/{y}", func(w http.ResponseWriter, r *http.Request) {
		z, e1 := strconv.Atoi(r.PathValue("z"))
		x, e2 := strconv.Atoi(r.PathValue("x"))
		y, e3 := strconv.Atoi(bytesTrimSuffix(r.PathValue("y"), ".mvt"))
		if e1 != nil || e2 != nil || e3 != nil || z < 0 || z > 22 || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
			http.Error(w, "bad tile", http.StatusBadRequest)
			return
		}
		b, err := st.HexTileSQL(r.Context(), run, api.HexResForZoom(z), z, x, y, privacyK)
		if err != nil {
			http.Error(w, "tile failed", http.StatusInternalServerError)
			return
		}
		if len(b) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		if bytes.Contains([]byte(r.Header.Get("Accept-Encoding")), []byte("gzip")) {
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			_, _ = zw.Write(b)
			_ = zw.Close()
			return
		}
		_, _ = w.Write(b)
	})
	return mux
}

func bytesTrimSuffix(s, suffix string) string {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return s
}

type phase struct {
	hex    Stats
	byZoom []Stats
	api    Stats
	errs   []string
}

type sample struct {
	d     time.Duration
	zoom  int // -1: API
	err   bool
	bytes int64
}

// drive runs o.Clients clients for o.Duration.
func drive(ctx context.Context, client *http.Client, o Options, tiles map[int][]maptile.Tile, token string,
	hexURL func(maptile.Tile) string, base string, apiPaths []string) phase {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var count atomic.Int64
	var mu sync.Mutex
	var errs []string
	results := make([][]sample, o.Clients)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(o.Seed, uint64(c)+1))
			var out []sample
			for i := 0; ctx.Err() == nil && count.Add(1) <= o.MaxRequests; i++ {
				var url string
				zoom := -1
				if len(apiPaths) > 0 && o.APIEvery > 0 && rng.IntN(o.APIEvery) == 0 {
					url = base + apiPaths[rng.IntN(len(apiPaths))]
				} else {
					zoom = o.MinZoom + rng.IntN(o.MaxZoom-o.MinZoom+1)
					ts := tiles[zoom]
					url = hexURL(ts[rng.IntN(len(ts))])
				}
				t0 := time.Now()
				n, err := get(ctx, client, url, token)
				d := time.Since(t0)
				if ctx.Err() != nil {
					break // the phase ended during the request: not counted
				}
				out = append(out, sample{d: d, zoom: zoom, err: err != nil, bytes: n})
				if err != nil {
					mu.Lock()
					if len(errs) < 10 {
						errs = append(errs, err.Error())
					}
					mu.Unlock()
				}
			}
			results[c] = out
		}()
	}
	wg.Wait()
	elapsed := min(time.Since(start), o.Duration)
	var p phase
	p.errs = errs
	var hexD, apiD []time.Duration
	zoomD := map[int][]time.Duration{}
	zoomS := map[int]*Stats{}
	for z := o.MinZoom; z <= o.MaxZoom; z++ {
		zoomS[z] = &Stats{Name: "z" + strconv.Itoa(z)}
	}
	for _, out := range results {
		for _, s := range out {
			st := &p.hex
			if s.zoom < 0 {
				st = &p.api
				apiD = append(apiD, s.d)
			} else {
				hexD = append(hexD, s.d)
				zoomD[s.zoom] = append(zoomD[s.zoom], s.d)
				zs := zoomS[s.zoom]
				zs.Requests++
				zs.Bytes += s.bytes
				if s.err {
					zs.Errors++
				}
			}
			st.Requests++
			st.Bytes += s.bytes
			if s.err {
				st.Errors++
			}
		}
	}
	p.hex.Elapsed, p.api.Elapsed = elapsed, elapsed
	percentiles(&p.hex, hexD)
	percentiles(&p.api, apiD)
	for z := o.MinZoom; z <= o.MaxZoom; z++ {
		zs := zoomS[z]
		zs.Elapsed = elapsed
		percentiles(zs, zoomD[z])
		p.byZoom = append(p.byZoom, *zs)
	}
	return p
}

// get fetches url; anything but 200, 204 or 304 is an error.
func get(ctx context.Context, client *http.Client, url, token string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return n, err
	}
	switch res.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusNotModified:
		return n, nil
	}
	return n, fmt.Errorf("GET %s: %s", req.URL.Path, res.Status)
}

func percentiles(s *Stats, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(ds))+0.5) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	s.P50, s.P95, s.P99, s.Max = at(0.50), at(0.95), at(0.99), ds[len(ds)-1]
}

// Write prints the report.
func (r *Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "what\trequests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tKiB/req\t\n")
	row := func(s Stats) {
		kib := 0.0
		if s.Requests > 0 {
			kib = float64(s.Bytes) / float64(s.Requests) / 1024
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t\n", s.Name, s.Requests, s.Errors, s.PerSecond(),
			ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max), kib)
	}
	row(r.Hex)
	for _, z := range r.HexByZoom {
		z.Name = "  " + z.Name + " (" + strconv.Itoa(r.TilesPerZoom[zoomOf(z.Name)]) + " tiles)"
		row(z)
	}
	row(r.API)
	row(r.Baseline)
	for _, z := range r.BaselineByZoom {
		z.Name = "  " + z.Name
		row(z)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	errs := r.Hex.Errors + r.API.Errors + r.Baseline.Errors
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(w, "\nrun %d, %d clients, %s per phase, loopback", r.Run, r.Clients, r.Duration)
	if r.LoadBefore != "" {
		fmt.Fprintf(w, "; load average before %s, after %s", r.LoadBefore, r.LoadAfter)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "before the gapmap phase, the service rendered the run's %d hex tiles (z0–z14) in %s\n", r.WarmTiles, r.WarmTime.Round(time.Millisecond))
	if r.CPUPerRequest > 0 {
		fmt.Fprintf(w, "CPU of this process (clients and gapmap) per request of the gapmap phase: %d µs\n", r.CPUPerRequest.Microseconds())
	}
	fmt.Fprintf(w, "throughput ratio gapmap / baseline (hex tiles): %.1f× (target ≥ %.0f×: %s)\n", r.Ratio, TargetRatio, verdict(r.Ratio >= TargetRatio))
	fmt.Fprintf(w, "gapmap hex tiles p95: %.2f ms (target ≤ %d ms: %s)\n", ms(r.Hex.P95), TargetP95.Milliseconds(), verdict(r.Hex.P95 <= TargetP95))
	fmt.Fprintf(w, "errors: %d (target 0: %s)\n", errs, verdict(errs == 0))
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	return nil
}

// Met tells whether every target is met.
func (r *Report) Met() bool {
	return r.Hex.Errors+r.API.Errors+r.Baseline.Errors == 0 && r.Hex.P95 <= TargetP95 && r.Ratio >= TargetRatio
}

func zoomOf(name string) int {
	z, _ := strconv.Atoi(name[1:])
	return z
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
